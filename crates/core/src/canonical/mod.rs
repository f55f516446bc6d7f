//! Canonical JSON, written in one pass.
//!
//! The canonical form (what `input_hash` and `output_hash` cover) is: object
//! keys sorted bytewise, no insignificant white space, numbers as `serde_json`
//! writes them (integers in decimal, finite `f64` in the shortest form that
//! round-trips, non-finite as `null`), strings escaped as `serde_json` escapes
//! them. It is the form the first schema wrote through `serde_json::Value`;
//! this serializer writes the same bytes straight from the typed value, with
//! no intermediate tree: each object's members are written once, in place,
//! then put in key order by one copy of the object's body when they arrived
//! out of order.
//!
//! Numbers go through `serde_json`'s own [`CompactFormatter`], so they are
//! spelled exactly as `serde_json` spells them; strings without characters to
//! escape (almost all of them: names, ids, units) are copied as they are, the
//! rest are escaped by `serde_json`.
//!
//! The form is compositional: the value of a member of a canonical object is
//! the canonical form of that value. [`to_canonical_vec_with_member`] uses
//! this to hand out one top-level member's canonical form without writing it
//! a second time.
//!
//! `tests::matches_the_value_tree_form` holds the two forms equal on random
//! documents.

use std::fmt::Display;
use std::ops::Range;

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

/// Why a value has no canonical JSON form.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CanonicalError(String);

impl ser::Error for CanonicalError {
    fn custom<T: Display>(msg: T) -> Self {
        CanonicalError(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, CanonicalError>;

/// Writes `value` as canonical JSON.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Ok(to_canonical_vec_with_member(value, None)?.0)
}

/// Writes `value` as canonical JSON and, when `value` is an object holding
/// the top-level member `member`, the byte range of that member's value in
/// the output (itself canonical JSON, by composition).
pub fn to_canonical_vec_with_member<T: Serialize + ?Sized>(
    value: &T,
    member: Option<&'static str>,
) -> Result<(Vec<u8>, Option<Range<usize>>)> {
    to_canonical_document(value, None, member)
}

/// [`to_canonical_vec_with_member`] with one more top-level member `extra`
/// (e.g. `schema_version`) added to the object `value` writes, in its key
/// place: the same bytes as a wrapper with `#[serde(flatten)]`, without the
/// flattening's map and sort.
pub fn to_canonical_document<T: Serialize + ?Sized>(
    value: &T,
    extra: Option<(&'static str, u64)>,
    member: Option<&'static str>,
) -> Result<(Vec<u8>, Option<Range<usize>>)> {
    let mut out = Vec::with_capacity(2048);
    let mut scratch = Scratch::new(member, extra);
    value.serialize(Canonical {
        out: &mut out,
        scratch: &mut scratch,
    })?;
    Ok((out, scratch.watched))
}

/// How many objects of `value` arrive out of key order and must be sorted
/// (the sealed types declare their fields in key order so that this is ~0).
#[cfg(test)]
pub(crate) fn objects_reordered<T: Serialize + ?Sized>(
    value: &T,
    extra: Option<(&'static str, u64)>,
) -> usize {
    let mut out = Vec::new();
    let mut scratch = Scratch::new(None, extra);
    value
        .serialize(Canonical {
            out: &mut out,
            scratch: &mut scratch,
        })
        .expect("serialises");
    scratch.reordered
}

/// Buffers shared by every level of one document, so nested objects do not
/// allocate their own.
struct Scratch {
    /// The members of every object still being written, innermost last.
    members: Vec<Member>,
    /// A copy of an object body being put in key order.
    body: Vec<u8>,
    /// How many objects are open.
    depth: usize,
    /// The top-level member whose value range is wanted.
    watch: Option<&'static str>,
    watched: Option<Range<usize>>,
    /// Objects that had to be put in key order.
    reordered: usize,
    /// A top-level member still to be added (see [`to_canonical_document`]).
    extra: Option<(&'static str, u64)>,
}

impl Scratch {
    fn new(watch: Option<&'static str>, extra: Option<(&'static str, u64)>) -> Scratch {
        Scratch {
            members: Vec::with_capacity(32),
            body: Vec::new(),
            depth: 0,
            watch,
            watched: None,
            reordered: 0,
            extra,
        }
    }
}

/// One written member: its key, where it starts (at its key) and ends in the
/// output, and how far after its start its value begins.
struct Member {
    key: Key,
    start: usize,
    end: usize,
    value_offset: usize,
}

/// A member name: a struct field's static name, the bytes of a written key
/// that needed no escaping, or (rarely) a key that did.
enum Key {
    Field(&'static str),
    Written(Range<usize>),
    Owned(String),
}

impl Key {
    fn bytes<'b>(&'b self, out: &'b [u8]) -> &'b [u8] {
        match self {
            Key::Field(k) => k.as_bytes(),
            Key::Written(range) => &out[range.clone()],
            Key::Owned(k) => k.as_bytes(),
        }
    }
}

/// A member's key bytes once its object's body has been moved to `body`
/// (which starts at `body_start` of the output).
fn key_bytes<'b>(key: &'b Key, body: &'b [u8], body_start: usize) -> &'b [u8] {
    match key {
        Key::Written(range) => &body[range.start - body_start..range.end - body_start],
        other => other.bytes(&[]),
    }
}

/// Whether `serde_json` would escape a byte of `s`: control characters,
/// `"` and `\\` (its `ESCAPE` table; everything else, including non-ASCII
/// UTF-8, is written as it is). Eight bytes at a time: this check runs for
/// every key and string of every sealed document.
fn needs_escape(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(word);
        if word_needs_escape(u64::from_le_bytes(buf)) {
            return true;
        }
    }
    // The tail, padded with a byte that needs no escape.
    let tail = words.remainder();
    let mut buf = [b'a'; 8];
    buf[..tail.len()].copy_from_slice(tail);
    word_needs_escape(u64::from_le_bytes(buf))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `x` is below 0x20, `"` or `\\` ("Determine if a word
/// has a byte less than n" and "has a zero byte", Sean Eron Anderson, *Bit
/// Twiddling Hacks*: exact as a yes/no answer for n ≤ 128).
fn word_needs_escape(x: u64) -> bool {
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS != 0;
    below(x, 0x20)
        || below(x ^ (ONES * u64::from(b'"')), 1)
        || below(x ^ (ONES * u64::from(b'\\')), 1)
}

/// Key order: bytewise, deciding on the first byte where it can (most keys of
/// one object differ there) before comparing whole slices.
fn key_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

/// Writes a string the way `serde_json` does.
fn write_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    if needs_escape(s) {
        return serde_json::to_writer(out, s).map_err(|e| CanonicalError(e.to_string()));
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// `CompactFormatter` writes into a `Vec<u8>`, which cannot fail.
fn io(result: std::io::Result<()>) -> Result<()> {
    result.map_err(|e| CanonicalError(e.to_string()))
}

struct Canonical<'a> {
    out: &'a mut Vec<u8>,
    scratch: &'a mut Scratch,
}

/// An object being written: members go into the output as they arrive
/// (`"key":value`, comma-separated), each recorded on the shared member
/// stack; at the end they are put in key order unless they are in order
/// already.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    scratch: &'a mut Scratch,
    /// Where the body (after `{`) starts.
    body_start: usize,
    /// Where this object's members start on the shared stack.
    base: usize,
    /// A map key written, waiting for its value: the key and its member's start.
    pending: Option<(Key, usize)>,
    /// For `{"Variant": {...}}`: the variant name wrapping the object.
    variant: bool,
}

impl<'a> Object<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        scratch: &'a mut Scratch,
        variant: Option<&'static str>,
    ) -> Result<Self> {
        if let Some(variant) = variant {
            out.push(b'{');
            write_str(out, variant)?;
            out.push(b':');
        }
        out.push(b'{');
        scratch.depth += 1;
        Ok(Object {
            body_start: out.len(),
            base: scratch.members.len(),
            out,
            scratch,
            pending: None,
            variant: variant.is_some(),
        })
    }

    /// Writes the separator before a member and returns where the member starts.
    fn begin_member(&mut self) -> usize {
        if self.scratch.members.len() > self.base {
            self.out.push(b',');
        }
        self.out.len()
    }

    fn value<T: Serialize + ?Sized>(&mut self, key: Key, start: usize, value: &T) -> Result<()> {
        self.out.push(b':');
        let value_offset = self.out.len() - start;
        value.serialize(Canonical {
            out: &mut *self.out,
            scratch: &mut *self.scratch,
        })?;
        let end = self.out.len();
        self.scratch.members.push(Member {
            key,
            start,
            end,
            value_offset,
        });
        Ok(())
    }

    /// Whether this is the document's top-level object (not a variant's).
    fn top_level(&self) -> bool {
        self.scratch.depth == 1 && !self.variant
    }

    /// Adds the pending extra member here if its key comes before `key`
    /// (`None`: at the end).
    fn inject_before(&mut self, key: Option<&str>) -> Result<()> {
        if !self.top_level() {
            return Ok(());
        }
        let Some((name, value)) = self.scratch.extra else {
            return Ok(());
        };
        if key.is_some_and(|k| k.as_bytes() <= name.as_bytes()) {
            return Ok(());
        }
        self.scratch.extra = None;
        let start = self.begin_member();
        write_str(self.out, name)?;
        self.value(Key::Field(name), start, &value)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.inject_before(Some(key))?;
        let start = self.begin_member();
        write_str(self.out, key)?;
        self.value(Key::Field(key), start, value)
    }

    fn finish(mut self) -> Result<()> {
        self.inject_before(None)?;
        let Object {
            out,
            scratch,
            body_start,
            base,
            variant,
            ..
        } = self;
        let top_level = scratch.depth == 1 && !variant;
        let members = &mut scratch.members[base..];
        let sorted = members
            .windows(2)
            .all(|pair| key_order(pair[0].key.bytes(out), pair[1].key.bytes(out)).is_lt());
        let watch = scratch.watch.filter(|_| top_level).map(str::as_bytes);
        if sorted {
            if let Some(name) = watch
                && let Some(m) = members.iter().find(|m| m.key.bytes(out) == name)
            {
                scratch.watched = Some(m.start + m.value_offset..m.end);
            }
        } else {
            scratch.reordered += 1;
            // Repeated keys stay in arrival order (starts grow with arrival),
            // and of repeated keys the last one wins, as in a map.
            members.sort_unstable_by(|a, b| {
                key_order(a.key.bytes(out), b.key.bytes(out)).then(a.start.cmp(&b.start))
            });
            scratch.body.clear();
            scratch.body.extend_from_slice(&out[body_start..]);
            let body = &scratch.body;
            // Written keys are read from the body copy from here on.
            out.truncate(body_start);
            let mut first = true;
            for i in 0..members.len() {
                let m = &members[i];
                let repeated = members.get(i + 1).is_some_and(|next| {
                    key_bytes(&next.key, body, body_start) == key_bytes(&m.key, body, body_start)
                });
                if repeated {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                let new_start = out.len();
                out.extend_from_slice(&body[m.start - body_start..m.end - body_start]);
                if watch.is_some_and(|name| key_bytes(&m.key, body, body_start) == name) {
                    scratch.watched = Some(new_start + m.value_offset..out.len());
                }
            }
        }
        scratch.members.truncate(base);
        scratch.depth -= 1;
        out.push(b'}');
        if variant {
            out.push(b'}');
        }
        Ok(())
    }
}

/// Elements of an array, written in place.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    scratch: &'a mut Scratch,
    first: bool,
    variant: bool,
}

impl<'a> Array<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        scratch: &'a mut Scratch,
        variant: Option<&'static str>,
    ) -> Result<Self> {
        if let Some(variant) = variant {
            out.push(b'{');
            write_str(out, variant)?;
            out.push(b':');
        }
        out.push(b'[');
        Ok(Array {
            out,
            scratch,
            first: true,
            variant: variant.is_some(),
        })
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Canonical {
            out: &mut *self.out,
            scratch: &mut *self.scratch,
        })
    }

    fn finish(self) -> Result<()> {
        self.out.push(b']');
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

macro_rules! integer {
    ($($method:ident: $ty:ty => $write:ident),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<()> {
            io(CompactFormatter.$write(self.out, v))
        })*
    };
}

impl<'a> ser::Serializer for Canonical<'a> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        io(CompactFormatter.write_bool(self.out, v))
    }
    integer! {
        serialize_i8: i8 => write_i8,
        serialize_i16: i16 => write_i16,
        serialize_i32: i32 => write_i32,
        serialize_i64: i64 => write_i64,
        serialize_i128: i128 => write_i128,
        serialize_u8: u8 => write_u8,
        serialize_u16: u16 => write_u16,
        serialize_u32: u32 => write_u32,
        serialize_u64: u64 => write_u64,
        serialize_u128: u128 => write_u128,
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        // `serde_json::Value` widens f32 to f64 before printing; so does the canonical form.
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        // As `serde_json`'s serializer: non-finite numbers are `null`.
        if v.is_finite() {
            io(CompactFormatter.write_f64(self.out, v))
        } else {
            self.serialize_none()
        }
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        serde_json::to_writer(self.out, v).map_err(|e| CanonicalError(e.to_string()))
    }
    fn serialize_none(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        write_str(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.out.push(b'{');
        write_str(self.out, variant)?;
        self.out.push(b':');
        value.serialize(Canonical {
            out: &mut *self.out,
            scratch: &mut *self.scratch,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>> {
        Array::new(self.out, self.scratch, None)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Array<'a>> {
        Array::new(self.out, self.scratch, None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _len: usize) -> Result<Array<'a>> {
        Array::new(self.out, self.scratch, None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>> {
        Array::new(self.out, self.scratch, Some(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>> {
        Object::new(self.out, self.scratch, None)
    }
    fn serialize_struct(self, _: &'static str, _len: usize) -> Result<Object<'a>> {
        Object::new(self.out, self.scratch, None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>> {
        Object::new(self.out, self.scratch, Some(variant))
    }
}

macro_rules! array_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Array<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    };
}
array_impl!(SerializeSeq, serialize_element);
array_impl!(SerializeTuple, serialize_element);
array_impl!(SerializeTupleStruct, serialize_field);
array_impl!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let start = self.begin_member();
        let key = key.serialize(KeyWriter { out: self.out })?;
        self.pending = Some((key, start));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let (key, start) = self
            .pending
            .take()
            .ok_or_else(|| CanonicalError("map value without a key".to_owned()))?;
        self.value(key, start, value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

macro_rules! struct_impl {
    ($trait:ident) => {
        impl ser::$trait for Object<'_> {
            type Ok = ();
            type Error = CanonicalError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.field(key, value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);

mod keys;
#[cfg(test)]
mod tests;

use keys::KeyWriter;
