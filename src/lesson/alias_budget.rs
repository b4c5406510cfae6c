//! A bound on how many nodes a lesson's YAML aliases may expand to (a "billion laughs" guard).
//!
//! The YAML parser replays an anchored node at every alias, so nine aliases of nine aliases …
//! expand a few kilobytes into billions of nodes; its own repetition limit scales with the size of
//! the document, so a large lesson with a bomb still builds gigabytes of values for minutes. This
//! pass walks the document once without building anything and stops as soon as the expanded
//! node count passes a budget that no alias-free text can reach (a node takes at least one byte).

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Nodes allowed beyond one per byte of text.
const SLACK: usize = 100_000;

/// Why an alias bomb is refused.
const MESSAGE: &str = "the lesson's YAML aliases (`*name`) expand to more nodes than the whole text \
                       could hold (an alias bomb); write the repeated parts out or use fewer aliases";

/// Walk `yaml` counting every node as the parser expands it; (line, column, message) once the
/// count passes the budget. A syntax error is left for the real parse to report.
pub(crate) fn check(yaml: &str) -> Result<(), (usize, usize, String)> {
    let budget = Budget {
        left: Cell::new(yaml.len().saturating_add(SLACK)),
    };
    match serde_yaml::Deserializer::from_str(yaml)
        .next()
        .map(|doc| (&budget).deserialize(doc))
    {
        Some(Err(e)) if budget.left.get() == 0 => {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            Err((line, column, MESSAGE.to_string()))
        }
        _ => Ok(()),
    }
}

struct Budget {
    left: Cell<usize>,
}

impl Budget {
    fn spend<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.left.get() {
            0 => Err(E::custom(MESSAGE)),
            n => {
                self.left.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for &Budget {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &Budget {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }
    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }
    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }
    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.spend()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        self.spend()?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bomb(levels: usize) -> String {
        let mut b =
            vec![r#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#.to_string()];
        for k in 1..levels {
            b.push(format!(
                "a{k}: &a{k} [{}]",
                vec![format!("*a{}", k - 1); 9].join(",")
            ));
        }
        b.join("\n")
    }

    #[test]
    fn an_alias_bomb_is_stopped_and_ordinary_aliases_pass() {
        assert!(check(&bomb(12)).is_err());
        // A large document no longer buys the bomb room (the parser's own limit scales with it).
        let pad: String = (0..20_000).map(|i| format!("p{i}: [1, 2, 3]\n")).collect();
        let padded = format!("{}\n{pad}", bomb(9));
        assert!(check(&padded).is_err());
        assert!(check("d: &d {op: flush}\nsteps: [*d, *d, *d]\n").is_ok());
        assert!(check(&bomb(3)).is_ok());
        // Syntax errors are the real parser's to report.
        assert!(check("a: [").is_ok());
    }
}
