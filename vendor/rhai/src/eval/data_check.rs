//! Data size checks during evaluation.
#![cfg(not(feature = "unchecked"))]

use super::GlobalRuntimeState;
use crate::types::dynamic::Union;
use crate::{Dynamic, Engine, Position, RhaiResultOf, ERR};
use std::borrow::Borrow;
#[cfg(feature = "no_std")]
use std::prelude::v1::*;

/// Recursively calculate the sizes of an array.
///
/// Sizes returned are `(` [`Array`][crate::Array], [`Map`][crate::Map] and [`String`] `)`.
///
/// # Panics
///
/// Panics if any interior data is shared (should never happen).
#[cfg(not(feature = "no_index"))]
#[inline]
#[allow(dead_code)] // the grain VM and the internals API use it
pub fn calc_array_sizes(array: &crate::Array) -> (usize, usize, usize) {
    let (mut ax, mut mx, mut sx) = (0, 0, 0);

    for value in array {
        ax += 1;

        match value.0 {
            Union::Array(ref a, ..) => {
                let (a, m, s) = calc_array_sizes(a);
                ax += a;
                mx += m;
                sx += s;
            }
            Union::Blob(ref a, ..) => ax += 1 + a.len(),
            #[cfg(not(feature = "no_object"))]
            Union::Map(ref m, ..) => {
                let (a, m, s) = calc_map_sizes(m);
                ax += a;
                mx += m;
                sx += s;
            }
            Union::Str(ref s, ..) => sx += s.len(),
            #[cfg(not(feature = "no_closure"))]
            Union::Shared(..) => {
                unreachable!("shared values discovered within data")
            }
            _ => (),
        }
    }

    (ax, mx, sx)
}
/// Recursively calculate the sizes of a map.
///
/// Sizes returned are `(` [`Array`][crate::Array], [`Map`][crate::Map] and [`String`] `)`.
///
/// # Panics
///
/// Panics if any interior data is shared (should never happen).
#[cfg(not(feature = "no_object"))]
#[inline]
#[allow(dead_code)] // the grain VM and the internals API use it
pub fn calc_map_sizes(map: &crate::Map) -> (usize, usize, usize) {
    let (mut ax, mut mx, mut sx) = (0, 0, 0);

    for value in map.values() {
        mx += 1;

        match value.0 {
            #[cfg(not(feature = "no_index"))]
            Union::Array(ref a, ..) => {
                let (a, m, s) = calc_array_sizes(a);
                ax += a;
                mx += m;
                sx += s;
            }
            #[cfg(not(feature = "no_index"))]
            Union::Blob(ref a, ..) => ax += 1 + a.len(),
            Union::Map(ref m, ..) => {
                let (a, m, s) = calc_map_sizes(m);
                ax += a;
                mx += m;
                sx += s;
            }
            Union::Str(ref s, ..) => sx += s.len(),
            #[cfg(not(feature = "no_closure"))]
            Union::Shared(..) => {
                unreachable!("shared values discovered within data")
            }
            _ => (),
        }
    }

    (ax, mx, sx)
}

/// Recursively calculate the sizes of a value.
///
/// Sizes returned are `(` [`Array`][crate::Array], [`Map`][crate::Map] and [`String`] `)`.
///
/// # Panics
///
/// Panics if any interior data is shared (should never happen).
#[inline]
#[allow(dead_code)] // the grain VM and the internals API use it
pub fn calc_data_sizes(value: &Dynamic, _top: bool) -> (usize, usize, usize) {
    match value.0 {
        #[cfg(not(feature = "no_index"))]
        Union::Array(ref arr, ..) => calc_array_sizes(arr),
        #[cfg(not(feature = "no_index"))]
        Union::Blob(ref blob, ..) => (blob.len(), 0, 0),
        #[cfg(not(feature = "no_object"))]
        Union::Map(ref map, ..) => calc_map_sizes(map),
        Union::Str(ref s, ..) => (0, 0, s.len()),
        #[cfg(not(feature = "no_closure"))]
        Union::Shared(..) if _top => calc_data_sizes(&value.read_lock::<Dynamic>().unwrap(), true),
        #[cfg(not(feature = "no_closure"))]
        Union::Shared(..) => {
            unreachable!("shared values discovered within data: {}", value)
        }
        _ => (0, 0, 0),
    }
}

/// Recursively calculate the sizes of a value, counting everything it holds and how deep it
/// nests.
///
/// Unlike [`calc_data_sizes`], this counts the curried arguments of function pointers (and so
/// the variables a closure captures), the inside of shared values (each once, however often it
/// is reachable), and custom types through [`Engine::on_data_size`]. Arrays and maps are walked
/// with a heap stack, not the call stack, so a deeply nested value cannot overflow it, and the
/// walk stops with an error as soon as the value nests deeper than
/// [`Engine::max_data_depth`].
///
/// Sizes returned are `(` [`Array`][crate::Array], [`Map`][crate::Map] and [`String`] `)`,
/// counted as [`calc_data_sizes`] counts them; a curried argument counts as an array item.
#[cfg(not(feature = "unchecked"))]
struct SizeWalk<'e> {
    engine: &'e Engine,
    sizes: (usize, usize, usize),
    /// Shared values already counted, by address.
    #[cfg(not(feature = "no_closure"))]
    seen: Vec<*const ()>,
}

#[cfg(not(feature = "unchecked"))]
impl SizeWalk<'_> {
    fn too_deep() -> crate::RhaiError {
        ERR::ErrorDataTooLarge("Depth of nested data".to_string(), Position::NONE).into()
    }

    fn walk(&mut self, root: &Dynamic, root_depth: usize) -> RhaiResultOf<()> {
        let max_depth = self.engine.max_data_depth();
        let mut pending: Vec<(&Dynamic, usize)> = vec![(root, root_depth)];

        while let Some((value, depth)) = pending.pop() {
            if max_depth > 0 && depth > max_depth {
                return Err(Self::too_deep());
            }
            let (ax, mx, sx) = &mut self.sizes;

            match value.0 {
                #[cfg(not(feature = "no_index"))]
                Union::Array(ref arr, ..) => {
                    *ax = ax.saturating_add(arr.len());
                    pending.extend(arr.iter().map(|v| (v, depth + 1)));
                }
                #[cfg(not(feature = "no_index"))]
                Union::Blob(ref blob, ..) => *ax = ax.saturating_add(blob.len()),
                #[cfg(not(feature = "no_object"))]
                Union::Map(ref map, ..) => {
                    *mx = mx.saturating_add(map.len());
                    pending.extend(map.values().map(|v| (v, depth + 1)));
                }
                Union::Str(ref s, ..) => *sx = sx.saturating_add(s.len()),
                Union::FnPtr(ref f, ..) => {
                    *ax = ax.saturating_add(f.curry().len());
                    pending.extend(f.curry().iter().map(|v| (v, depth + 1)));
                }
                Union::Variant(..) => {
                    if let Some(ref size_of) = self.engine.data_size {
                        let (a, m, s) = size_of(value);
                        *ax = ax.saturating_add(a);
                        *mx = mx.saturating_add(m);
                        *sx = sx.saturating_add(s);
                    }
                }
                #[cfg(not(feature = "no_closure"))]
                Union::Shared(ref cell, ..) => {
                    let address = crate::Shared::as_ptr(cell).cast::<()>();
                    if self.seen.contains(&address) {
                        continue;
                    }
                    self.seen.push(address);
                    // A value being changed right now is locked; it is checked after the change.
                    if let Some(inner) = crate::func::locked_read(cell) {
                        self.walk(&inner, depth)?;
                    }
                }
                _ => (),
            }
        }
        Ok(())
    }
}

impl Engine {
    /// Calculate the sizes of a value as the data limits count them (see [`SizeWalk`]), or an
    /// error if it nests deeper than [`max_data_depth`][Engine::max_data_depth].
    ///
    /// [`Position`] in [`EvalAltResult`][crate::EvalAltResult] is always [`NONE`][Position::NONE]
    /// and should be set afterwards.
    #[cfg(not(feature = "unchecked"))]
    pub(crate) fn data_sizes(&self, value: &Dynamic) -> RhaiResultOf<(usize, usize, usize)> {
        let mut walk = SizeWalk {
            engine: self,
            sizes: (0, 0, 0),
            #[cfg(not(feature = "no_closure"))]
            seen: Vec::new(),
        };
        walk.walk(value, 0)?;
        Ok(walk.sizes)
    }

    /// Raise an error if any data size exceeds limit.
    ///
    /// [`Position`] in [`EvalAltResult`][crate::EvalAltResult] is always [`NONE`][Position::NONE]
    /// and should be set afterwards.
    #[cfg(not(feature = "unchecked"))]
    pub(crate) fn throw_on_size(&self, (_arr, _map, s): (usize, usize, usize)) -> RhaiResultOf<()> {
        if self.limits.string_len.map_or(false, |max| s > max.get()) {
            return Err(
                ERR::ErrorDataTooLarge("Length of string".to_string(), Position::NONE).into(),
            );
        }

        #[cfg(not(feature = "no_index"))]
        if self.limits.array_size.map_or(false, |max| _arr > max.get()) {
            return Err(
                ERR::ErrorDataTooLarge("Size of array/BLOB".to_string(), Position::NONE).into(),
            );
        }

        #[cfg(not(feature = "no_object"))]
        if self.limits.map_size.map_or(false, |max| _map > max.get()) {
            return Err(
                ERR::ErrorDataTooLarge("Size of object map".to_string(), Position::NONE).into(),
            );
        }

        Ok(())
    }

    /// Check whether the size of a [`Dynamic`] is within limits.
    #[cfg(not(feature = "unchecked"))]
    #[inline]
    pub(crate) fn check_data_size<T: Borrow<Dynamic>>(
        &self,
        value: T,
        pos: Position,
    ) -> RhaiResultOf<T> {
        // If no data size limits, just return
        if !self.has_data_size_limit() {
            return Ok(value);
        }

        self.data_sizes(value.borrow())
            .and_then(|sizes| self.throw_on_size(sizes))
            .map_err(|err| err.fill_position(pos))?;

        Ok(value)
    }

    /// Raise an error if the size of a [`Dynamic`] is out of limits (if any).
    ///
    /// Not available under `unchecked`.
    #[cfg(not(feature = "unchecked"))]
    #[inline(always)]
    pub fn ensure_data_size_within_limits(&self, value: &Dynamic) -> RhaiResultOf<()> {
        self.check_data_size(value, Position::NONE).map(|_| ())
    }

    /// Check if the number of operations stay within limit.
    #[inline(always)]
    pub(crate) fn track_operation(
        &self,
        global: &mut GlobalRuntimeState,
        pos: Position,
    ) -> RhaiResultOf<()> {
        let mut num_ops = None;

        let mut num_operations = || {
            *num_ops.get_or_insert_with(|| {
                // Increment operations count
                #[cfg(atomic_ops_count)]
                return global
                    .num_operations
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    + 1;

                #[cfg(not(atomic_ops_count))]
                {
                    global.num_operations += 1;
                    return global.num_operations;
                }
            })
        };

        // Guard against too many operations
        #[cfg(not(feature = "unchecked"))]
        if self.max_operations() > 0 && num_operations() > self.max_operations() {
            return Err(ERR::ErrorTooManyOperations(pos).into());
        }

        if let Some(progress) = self.progress.as_ref() {
            return progress(num_operations())
                .map(|token| Err(ERR::ErrorTerminated(token, pos).into()))
                .unwrap_or(Ok(()));
        }

        Ok(())
    }
}
