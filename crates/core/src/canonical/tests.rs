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

    /// A top-level member cut out of a document is that member's own
    /// canonical form, whether or not the document's keys arrived in order.
    #[test]
    fn a_cut_member_is_its_own_canonical_form(
        members in prop::collection::vec(("[a-f]{1,3}", arb_json()), 1..8),
        pick in any::<prop::sample::Index>(),
    ) {
        // A map in arrival order (a Vec of pairs serialised as a map), so
        // unsorted and repeated keys both occur; the last repeat wins.
        struct InOrder<'a>(&'a [(String, Value)]);
        impl Serialize for InOrder<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        let name: &'static str = Box::leak(members[pick.index(members.len())].0.clone().into_boxed_str());
        let last = members.iter().rev().find(|(k, _)| k == name).unwrap();
        let (doc, range) = to_canonical_vec_with_member(&InOrder(&members), Some(name)).unwrap();
        let range = range.expect("the member is present");
        let expected = canonical(&last.1);
        prop_assert_eq!(&doc[range], expected.as_bytes());
        let as_map: serde_json::Map<String, Value> = members.iter().cloned().collect();
        prop_assert_eq!(String::from_utf8(doc).unwrap(), via_value_tree(&Value::Object(as_map)));
    }
}

proptest! {
    #[test]
    fn the_word_escape_check_is_the_byte_check(s in "[\"\\\\\u{0}-\u{7f}é€😀]{0,40}") {
        let bytewise = s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
        prop_assert_eq!(needs_escape(&s), bytewise);
    }
}

proptest! {
    /// An injected top-level member gives the bytes of the same object
    /// holding it, for maps (any key order) and structs alike.
    #[test]
    fn an_injected_member_takes_its_key_place(
        map in prop::collection::btree_map("[a-z_]{1,8}", arb_json(), 0..8),
        name in prop::sample::select(vec!["a", "m", "schema_version", "zz"]),
        n in any::<u32>(),
    ) {
        prop_assume!(!map.contains_key(name));
        let object = Value::Object(map.clone().into_iter().collect());
        let mut with = map.clone();
        with.insert(name.to_owned(), Value::from(n));
        let (doc, _) = to_canonical_document(&object, Some((name, u64::from(n))), None).unwrap();
        prop_assert_eq!(String::from_utf8(doc).unwrap(), via_value_tree(&Value::Object(with.into_iter().collect())));
    }
}

#[test]
fn a_missing_member_has_no_range() {
    let (_, range) = to_canonical_vec_with_member(&Inner { b: "x", a: 1 }, Some("c")).unwrap();
    assert!(range.is_none());
    let nested = serde_json::json!({"a": {"energy_flows": 1}});
    let (_, range) = to_canonical_vec_with_member(&nested, Some("energy_flows")).unwrap();
    assert!(range.is_none(), "only top-level members are cut out");
}
