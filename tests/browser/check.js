// Runs inside the wrapper page that tests/browser.rs writes next to the rendered site. Once the
// page in <iframe id="page"> has loaded, it measures what a reader would see and writes the
// measurements, as ASCII-only JSON, into <pre id="result">. The Rust side decides what passes.
(function () {
  "use strict";

  var frame = document.getElementById("page");
  var out = document.getElementById("result");

  // Escape everything outside printable ASCII, and the three characters the DOM dump would turn
  // into entities, so the text of <pre> in the dump is the JSON verbatim.
  function write(value) {
    out.textContent = JSON.stringify(value).replace(/[^\x20-\x7e]|[<>&]/g, function (c) {
      return "\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function round(x) {
    return Math.round(x * 100) / 100;
  }

  function rect(r) {
    return { left: round(r.left), top: round(r.top), right: round(r.right), bottom: round(r.bottom) };
  }

  // A short CSS-selector-like name for an element, for messages.
  function describe(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    var cls = el.getAttribute("class");
    if (cls) s += "." + cls.trim().split(/\s+/).join(".");
    return s;
  }

  function visible(el) {
    var r = el.getBoundingClientRect();
    var seen = typeof el.checkVisibility === "function"
      ? el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
      : true;
    return seen && r.width > 0 && r.height > 0;
  }

  function element(el) {
    return {
      desc: describe(el),
      text: (el.textContent || "").trim().replace(/\s+/g, " "),
      visible: visible(el),
      rect: rect(el.getBoundingClientRect()),
    };
  }

  // A CSS colour as [r, g, b, a] (0-255, alpha 0-1), or null when it is not a plain colour
  // ("none", a url() paint server). Computed colours come as rgb()/rgba(); anything else is
  // converted by drawing it on a 1x1 canvas.
  var canvas = null;
  function parseColor(str) {
    var m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)\s*(?:[,\/]\s*([\d.]+)(%?)\s*)?\)$/.exec(str);
    if (m) {
      var a = m[4] === undefined ? 1 : parseFloat(m[4]) / (m[5] ? 100 : 1);
      return [parseFloat(m[1]), parseFloat(m[2]), parseFloat(m[3]), a];
    }
    if (!str || str === "none" || /url\(/.test(str)) return null;
    canvas = canvas || document.createElement("canvas");
    canvas.width = canvas.height = 1;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#010203";
    ctx.fillStyle = str;
    if (ctx.fillStyle === "#010203" && !/^#010203$/i.test(str)) return null;
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillRect(0, 0, 1, 1);
    var d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  }

  // `top` (with alpha) drawn over the opaque `bottom`.
  function over(top, bottom) {
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + bottom[i] * (1 - a); }).concat([1]);
  }

  // What is behind an SVG: walking up from the SVG itself through its ancestors, the
  // background colours down to the first opaque one, composited; the canvas colour (in the
  // page's own colour scheme) if none is opaque.
  function backdrop(win, doc, svg) {
    var names = [];
    var colors = [];
    for (var el = svg; el; el = el.parentElement) {
      var css = win.getComputedStyle(el).backgroundColor;
      var c = parseColor(css);
      if (c && c[3] > 0) {
        names.push(describe(el) + " " + css);
        colors.push(c);
        if (c[3] >= 1) break;
      }
    }
    if (!colors.length || colors[colors.length - 1][3] < 1) {
      var probe = doc.createElement("div");
      probe.style.backgroundColor = "Canvas";
      doc.documentElement.appendChild(probe);
      var css2 = win.getComputedStyle(probe).backgroundColor;
      probe.remove();
      var base = parseColor(css2) || [255, 255, 255, 1];
      names.push("the canvas " + css2);
      colors.push([base[0], base[1], base[2], 1]);
    }
    var color = colors[colors.length - 1];
    for (var i = colors.length - 2; i >= 0; i--) color = over(colors[i], color);
    return { rgb: color.slice(0, 3).map(round), from: names.join(" over ") };
  }

  // The text's paint: its computed fill (CSS rules such as light-dark() resolved), and the
  // fill-opacity and opacity of the text and its ancestors inside the SVG.
  function paint(win, svg, t) {
    var style = win.getComputedStyle(t);
    var alpha = parseFloat(style.fillOpacity);
    for (var el = t; el && el !== svg; el = el.parentElement) {
      alpha *= parseFloat(win.getComputedStyle(el).opacity);
    }
    var ctm = t.getScreenCTM();
    return {
      fill: style.fill,
      fillRgba: parseColor(style.fill),
      opacity: round(alpha),
      // Font size in CSS pixels on screen: the computed size times the SVG's scale.
      fontSize: round(parseFloat(style.fontSize) * (ctm ? Math.sqrt(Math.abs(ctm.a * ctm.d - ctm.b * ctm.c)) : 1)),
      fontWeight: parseFloat(style.fontWeight) || 400,
    };
  }

  // What a <text> shows: its text without that of its <title> (the tooltip holding the full
  // label when the shown one is shortened).
  function label(t) {
    var s = "";
    t.childNodes.forEach(function (n) {
      if (n.nodeType === 3) s += n.nodeValue;
      else if (n.nodeType === 1 && n.tagName.toLowerCase() !== "title") s += n.textContent;
    });
    return s.trim().replace(/\s+/g, " ");
  }

  // The chart's drawn shapes other than grid and axis lines, in the SVG's user units: bars,
  // band bars, stacked segments, legend swatches, line series and their points. `tip` is the
  // shape's <title> (data marks have one; legend swatches do not). The Rust side tells the chart
  // kind from them.
  function marks(svg) {
    var found = [];
    svg.querySelectorAll("rect, circle, polyline, path").forEach(function (m) {
      var cls = m.getAttribute("class") || "";
      if (!/^nbc-/.test(cls) || cls === "nbc-grid" || cls === "nbc-axis") return;
      var b = m.getBBox();
      var tip = "";
      m.childNodes.forEach(function (n) {
        if (n.nodeType === 1 && n.tagName.toLowerCase() === "title") tip = (n.textContent || "").trim();
      });
      found.push({
        tag: m.tagName.toLowerCase(),
        class: cls,
        tip: tip,
        bbox: rect({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height }),
      });
    });
    return found;
  }

  function chart(win, doc, svg) {
    var wrapper = svg.parentElement;
    var variant = wrapper && wrapper.classList.contains("chart-wide") ? "wide"
      : wrapper && wrapper.classList.contains("chart-narrow") ? "narrow"
      : "other";
    var display = win.getComputedStyle(svg).display;
    var wrapperDisplay = wrapper ? win.getComputedStyle(wrapper).display : "block";
    var vb = svg.viewBox && svg.viewBox.baseVal;
    var texts = [];
    var shown = visible(svg) && display !== "none" && wrapperDisplay !== "none";
    if (shown) {
      svg.querySelectorAll("text").forEach(function (t) {
        var b = t.getBBox();
        var p = paint(win, svg, t);
        texts.push({
          content: label(t),
          class: t.getAttribute("class") || "",
          rect: rect(t.getBoundingClientRect()),
          bbox: rect({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height }),
          fill: p.fill,
          fillRgba: p.fillRgba,
          opacity: p.opacity,
          fontSize: p.fontSize,
          fontWeight: p.fontWeight,
        });
      });
    }
    return {
      variant: variant,
      visible: shown,
      marks: shown ? marks(svg) : [],
      display: display,
      wrapperDisplay: wrapperDisplay,
      rect: rect(svg.getBoundingClientRect()),
      viewBox: vb && vb.width > 0 ? rect({ left: vb.x, top: vb.y, right: vb.x + vb.width, bottom: vb.y + vb.height }) : null,
      background: shown ? backdrop(win, doc, svg) : null,
      texts: texts,
    };
  }

  // Outermost elements that stick out of the viewport sideways without a scrolling (or
  // clipping) ancestor to hold them: the cause when the page scrolls horizontally.
  function overflowCulprits(win, doc, width) {
    var found = [];
    var all = doc.body.getElementsByTagName("*");
    for (var i = 0; i < all.length && found.length < 12; i++) {
      var el = all[i];
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right <= width + 1 && r.left >= -1) continue;
      var held = false;
      for (var a = el.parentElement; a && a !== doc.body; a = a.parentElement) {
        var ox = win.getComputedStyle(a).overflowX;
        if (ox !== "visible") { held = true; break; }
        if (found.indexOf(a) !== -1) { held = true; break; }
      }
      if (!held) found.push(el);
    }
    return found.map(element);
  }

  function inspect(win, doc) {
    var root = doc.documentElement;
    var title = doc.querySelector("h1.title") || doc.querySelector("h1");
    var prompts = [];
    doc.querySelectorAll(".prompt").forEach(function (p) {
      prompts.push(element(p));
    });
    var figures = [];
    doc.querySelectorAll("figure.nb-figure").forEach(function (fig) {
      var charts = [];
      fig.querySelectorAll("svg.chart").forEach(function (svg) {
        charts.push(chart(win, doc, svg));
      });
      figures.push({ id: fig.id || "", charts: charts });
    });
    return {
      url: String(win.location.href),
      innerWidth: win.innerWidth,
      innerHeight: win.innerHeight,
      clientWidth: root.clientWidth,
      scrollWidth: root.scrollWidth,
      narrowMedia: win.matchMedia("(max-width: 40rem)").matches,
      // Asked of the iframe's own window: is the page itself rendered for a dark screen?
      darkMedia: win.matchMedia("(prefers-color-scheme: dark)").matches,
      title: title ? element(title) : null,
      prompts: prompts,
      figures: figures,
      overflow: overflowCulprits(win, doc, root.clientWidth),
    };
  }

  frame.addEventListener("load", function () {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.body) {
        write({ error: "no access to the iframe's document (is --allow-file-access-from-files set?)" });
        return;
      }
      var win = frame.contentWindow;
      (doc.fonts ? doc.fonts.ready : Promise.resolve())
        .then(function () {
          write(inspect(win, doc));
        })
        .catch(function (e) {
          write({ error: String((e && e.stack) || e) });
        });
    } catch (e) {
      write({ error: String((e && e.stack) || e) });
    }
  });
})();
