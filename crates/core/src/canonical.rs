//! Canonical JSON, written in one pass.
//!
//! The canonical form (what `input_hash` and `output_hash` cover) is: object
//! keys sorted bytewise, no insignificant white space, numbers as `serde_json`
//! writes them (integers in decimal, finite `f64` in the shortest form that
//! round-trips, non-finite as `null`), strings escaped as `serde_json` escapes
//! them. It is the form the first schema wrote through `serde_json::Value`;
//! this serializer writes the same bytes straight from the typed value, with
//! no intermediate tree: each object's members are written once into a
//! scratch buffer, then copied out in key order.
//!
//! `tests::matches_the_value_tree_form` holds the two forms equal on random
//! documents.

use std::fmt::Display;

use serde::ser::{self, Serialize};

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
    let mut out = Vec::with_capacity(1024);
    value.serialize(Canonical { out: &mut out })?;
    Ok(out)
}

/// Writes a scalar the way `serde_json` does.
fn json_scalar<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    serde_json::to_writer(out, value).map_err(|e| CanonicalError(e.to_string()))
}

struct Canonical<'a> {
    out: &'a mut Vec<u8>,
}

/// Members of one object, written in place as they arrive (`"key":value`,
/// comma-separated) with each member's key and byte range remembered. Derived
/// structs mostly arrive in some fixed field order; at the end the members
/// are put in key order by one copy of the object's body, unless they are in
/// order already.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    /// Where the body (after `{`) starts.
    body_start: usize,
    members: Vec<(Key, usize, usize)>,
    pending_key: Option<String>,
    /// For `{"Variant": {...}}`: the variant name wrapping the object.
    variant: bool,
}

/// A member name: a struct field's static name, or a map key.
enum Key {
    Field(&'static str),
    Owned(String),
}

impl Key {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Field(k) => k.as_bytes(),
            Key::Owned(k) => k.as_bytes(),
        }
    }
    fn as_str(&self) -> &str {
        match self {
            Key::Field(k) => k,
            Key::Owned(k) => k,
        }
    }
}

impl<'a> Object<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        len: Option<usize>,
        variant: Option<&'static str>,
    ) -> Result<Self> {
        if let Some(variant) = variant {
            out.push(b'{');
            json_scalar(out, variant)?;
            out.push(b':');
        }
        out.push(b'{');
        let body_start = out.len();
        Ok(Object {
            out,
            body_start,
            members: Vec::with_capacity(len.unwrap_or(8)),
            pending_key: None,
            variant: variant.is_some(),
        })
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<()> {
        if !self.members.is_empty() {
            self.out.push(b',');
        }
        let start = self.out.len();
        json_scalar(self.out, key.as_str())?;
        self.out.push(b':');
        value.serialize(Canonical {
            out: &mut *self.out,
        })?;
        self.members.push((key, start, self.out.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        let sorted = self
            .members
            .windows(2)
            .all(|pair| pair[0].0.as_bytes() < pair[1].0.as_bytes());
        if !sorted {
            // Stable sort; of repeated keys the last one wins, as in a map.
            self.members
                .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            self.members.reverse();
            self.members
                .dedup_by(|later, earlier| later.0.as_bytes() == earlier.0.as_bytes());
            self.members.reverse();
            let body = self.out.split_off(self.body_start);
            for (n, (_, start, end)) in self.members.iter().enumerate() {
                if n > 0 {
                    self.out.push(b',');
                }
                let (start, end) = (start - self.body_start, end - self.body_start);
                self.out.extend_from_slice(&body[start..end]);
            }
        }
        self.out.push(b'}');
        if self.variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

/// Elements of an array, written in place.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    variant: Option<&'static str>,
}

impl<'a> Array<'a> {
    fn new(out: &'a mut Vec<u8>, variant: Option<&'static str>) -> Result<Self> {
        if let Some(variant) = variant {
            out.push(b'{');
            json_scalar(out, variant)?;
            out.push(b':');
        }
        out.push(b'[');
        Ok(Array {
            out,
            first: true,
            variant,
        })
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Canonical {
            out: &mut *self.out,
        })
    }

    fn finish(self) -> Result<()> {
        self.out.push(b']');
        if self.variant.is_some() {
            self.out.push(b'}');
        }
        Ok(())
    }
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
        json_scalar(self.out, &v)
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        // `serde_json::Value` widens f32 to f64 before printing; so does the canonical form.
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        json_scalar(self.out, &v)
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        json_scalar(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        json_scalar(self.out, v)
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
        json_scalar(self.out, variant)
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
        json_scalar(self.out, variant)?;
        self.out.push(b':');
        value.serialize(Canonical {
            out: &mut *self.out,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>> {
        Array::new(self.out, None)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Array<'a>> {
        Array::new(self.out, None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _len: usize) -> Result<Array<'a>> {
        Array::new(self.out, None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>> {
        Array::new(self.out, Some(variant))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a>> {
        Object::new(self.out, len, None)
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Object<'a>> {
        Object::new(self.out, Some(len), None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Object<'a>> {
        Object::new(self.out, Some(len), Some(variant))
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
        self.pending_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| CanonicalError("map value without a key".to_owned()))?;
        self.member(Key::Owned(key), value)
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
                self.member(Key::Field(key), value)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    };
}
struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);

/// Map keys: strings, and the scalars `serde_json` turns into strings.
struct KeySerializer;

fn key_error() -> CanonicalError {
    CanonicalError("a map key must be a string".to_owned())
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = ser::Impossible<String, CanonicalError>;
    type SerializeTuple = ser::Impossible<String, CanonicalError>;
    type SerializeTupleStruct = ser::Impossible<String, CanonicalError>;
    type SerializeTupleVariant = ser::Impossible<String, CanonicalError>;
    type SerializeMap = ser::Impossible<String, CanonicalError>;
    type SerializeStruct = ser::Impossible<String, CanonicalError>;
    type SerializeStructVariant = ser::Impossible<String, CanonicalError>;

    fn serialize_str(self, v: &str) -> Result<String> {
        Ok(v.to_owned())
    }
    fn serialize_char(self, v: char) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, v: bool) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<String> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String> {
        Err(key_error())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<String> {
        Ok(v.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String> {
        Err(key_error())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_error())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_error())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::Value;

    /// The first schema's canonical form: through a `serde_json::Value` tree,
    /// keys sorted at every level. Kept here as the independent reference.
    fn via_value_tree<T: Serialize>(value: &T) -> String {
        fn write(value: &Value, out: &mut String) {
            match value {
                Value::Object(map) => {
                    let mut entries: Vec<_> = map.iter().collect();
                    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                    out.push('{');
                    for (n, (key, item)) in entries.into_iter().enumerate() {
                        if n > 0 {
                            out.push(',');
                        }
                        out.push_str(&Value::String(key.clone()).to_string());
                        out.push(':');
                        write(item, out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            out.push(',');
                        }
                        write(item, out);
                    }
                    out.push(']');
                }
                scalar => out.push_str(&scalar.to_string()),
            }
        }
        let mut out = String::new();
        write(&serde_json::to_value(value).unwrap(), &mut out);
        out
    }

    fn canonical<T: Serialize>(value: &T) -> String {
        String::from_utf8(to_canonical_vec(value).unwrap()).unwrap()
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            "[\"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z_é0-9]{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[derive(Serialize)]
    struct Typed {
        zeta: f64,
        alpha: Option<f32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        nested: Vec<Inner>,
        kind: Kind,
    }

    #[derive(Serialize)]
    struct Inner {
        b: &'static str,
        a: i32,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        #[allow(dead_code)]
        Wrapped(u32),
        #[allow(dead_code)]
        Shaped {
            y: u8,
            x: u8,
        },
    }

    #[test]
    fn typed_values_match_the_value_tree_form() {
        for kind in [Kind::Plain, Kind::Wrapped(7), Kind::Shaped { y: 1, x: 2 }] {
            let doc = Typed {
                zeta: 0.1 + 0.2,
                alpha: Some(0.1),
                skipped: None,
                nested: vec![Inner {
                    b: "\"q\"\n",
                    a: -3,
                }],
                kind,
            };
            assert_eq!(canonical(&doc), via_value_tree(&doc));
        }
        assert_eq!(canonical(&f64::NAN), "null");
    }

    proptest! {
        #[test]
        fn matches_the_value_tree_form(doc in arb_json()) {
            prop_assert_eq!(canonical(&doc), via_value_tree(&doc));
        }
    }
}
