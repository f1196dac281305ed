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

  function chart(win, svg) {
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
        texts.push({
          content: (t.textContent || "").trim().replace(/\s+/g, " "),
          rect: rect(t.getBoundingClientRect()),
          bbox: rect({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height }),
        });
      });
    }
    return {
      variant: variant,
      visible: shown,
      display: display,
      wrapperDisplay: wrapperDisplay,
      rect: rect(svg.getBoundingClientRect()),
      viewBox: vb && vb.width > 0 ? rect({ left: vb.x, top: vb.y, right: vb.x + vb.width, bottom: vb.y + vb.height }) : null,
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
        charts.push(chart(win, svg));
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
