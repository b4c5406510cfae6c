//! A step's `value` read from YAML with integers of any size: a YAML number beyond 64 bits is Python's int literal.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_yaml::Value as Yaml;

/// `value:` as YAML, except that an integer beyond 64 bits (which `serde_yaml::Value` cannot
/// hold) becomes its decimal text, which the value parser reads as the Python int literal it is:
/// `value: 18446744073709551616` is `arr[...] = 18446744073709551616` in NumPy.
pub(crate) fn value_with_big_ints<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Yaml>, D::Error> {
    Ok(Some(d.deserialize_any(BigVisitor)?.0))
}

/// The whole document as YAML with integers beyond 64 bits as text (see [`value_with_big_ints`]);
/// for the first untyped pass over a lesson, which `serde_yaml::Value` refuses on such a number.
pub(crate) fn from_str(yaml: &str) -> Result<Yaml, serde_yaml::Error> {
    BigValue::deserialize(serde_yaml::Deserializer::from_str(yaml)).map(|b| b.0)
}

/// True for serde_yaml's error on an integer beyond 64 bits (it reports a 128-bit "invalid type").
pub(crate) fn is_big_int_error(e: &serde_yaml::Error) -> bool {
    let m = e.to_string();
    m.contains("invalid type: integer `") && (m.contains("` as u128") || m.contains("` as i128"))
}

struct BigValue(Yaml);

impl<'de> Deserialize<'de> for BigValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BigVisitor)
    }
}

struct BigVisitor;

impl<'de> Visitor<'de> for BigVisitor {
    type Value = BigValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number, a boolean, a list or an expression")
    }
    fn visit_bool<E>(self, v: bool) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Number(v.into())))
    }
    fn visit_i128<E>(self, v: i128) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::String(v.to_string())))
    }
    fn visit_u128<E>(self, v: u128) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::String(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Number(v.into())))
    }
    fn visit_str<E>(self, v: &str) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::String(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::String(v)))
    }
    fn visit_unit<E>(self) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Null))
    }
    fn visit_none<E>(self) -> Result<BigValue, E> {
        Ok(BigValue(Yaml::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<BigValue, D::Error> {
        d.deserialize_any(BigVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BigValue, A::Error> {
        let mut out = Vec::new();
        while let Some(BigValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(BigValue(Yaml::Sequence(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BigValue, A::Error> {
        // A mapping is refused by the value parser with its own message; keep it a mapping.
        let mut out = serde_yaml::Mapping::new();
        while let Some((BigValue(k), BigValue(v))) = map.next_entry()? {
            out.insert(k, v);
        }
        Ok(BigValue(Yaml::Mapping(out)))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<BigValue, A::Error> {
        Err(de::Error::custom("YAML tags are not supported in values"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct S {
        #[serde(default, deserialize_with = "value_with_big_ints")]
        value: Option<Yaml>,
    }

    #[test]
    fn integers_beyond_64_bits_become_their_text() {
        let s: S =
            serde_yaml::from_str("value: [1, 18446744073709551616, -9223372036854775809, 2.5]")
                .unwrap();
        let v = s.value.unwrap();
        let items = v.as_sequence().unwrap();
        assert_eq!(items[0].as_i64(), Some(1));
        assert_eq!(items[1].as_str(), Some("18446744073709551616"));
        assert_eq!(items[2].as_str(), Some("-9223372036854775809"));
        assert_eq!(items[3].as_f64(), Some(2.5));
        let s: S = serde_yaml::from_str("value: 18446744073709551615").unwrap();
        assert_eq!(s.value.unwrap().as_u64(), Some(u64::MAX));
        let s: S = serde_yaml::from_str("{}").unwrap();
        assert!(s.value.is_none());
    }
}
