//! Map keys of the canonical writer: strings, and the scalars `serde_json`
//! turns into strings, written as JSON strings in place.

use serde::ser::{self, Serialize};

use super::{CanonicalError, Key, Result, needs_escape, write_str};

/// Map keys: strings, and the scalars `serde_json` turns into strings,
/// written as JSON strings; returns the key to sort by.
pub(super) struct KeyWriter<'a> {
    pub(super) out: &'a mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn text(self, key: &str) -> Result<Key> {
        if needs_escape(key) {
            write_str(self.out, key)?;
            return Ok(Key::Owned(key.to_owned()));
        }
        let start = self.out.len() + 1;
        write_str(self.out, key)?;
        Ok(Key::Written(start..start + key.len()))
    }
}

fn key_error() -> CanonicalError {
    CanonicalError("a map key must be a string".to_owned())
}

macro_rules! integer_key {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<Key> {
            self.text(&v.to_string())
        })*
    };
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = Key;
    type Error = CanonicalError;
    type SerializeSeq = ser::Impossible<Key, CanonicalError>;
    type SerializeTuple = ser::Impossible<Key, CanonicalError>;
    type SerializeTupleStruct = ser::Impossible<Key, CanonicalError>;
    type SerializeTupleVariant = ser::Impossible<Key, CanonicalError>;
    type SerializeMap = ser::Impossible<Key, CanonicalError>;
    type SerializeStruct = ser::Impossible<Key, CanonicalError>;
    type SerializeStructVariant = ser::Impossible<Key, CanonicalError>;

    fn serialize_str(self, v: &str) -> Result<Key> {
        self.text(v)
    }
    fn serialize_char(self, v: char) -> Result<Key> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result<Key> {
        self.text(if v { "true" } else { "false" })
    }
    integer_key! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
    }
    fn serialize_f32(self, _: f32) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_f64(self, _: f64) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Key> {
        Err(key_error())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<Key> {
        self.text(v)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Key> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Key> {
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
