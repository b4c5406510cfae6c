//! Reproducible shuffling of questions and choices (`--shuffle --seed N`), with no dependency.

use super::Asked;

/// SplitMix64: small, fast and the same on every machine, which is all a reproducible shuffle needs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
            order.swap(i, j);
        }
        order
    }
}

/// Shuffle the questions and, within each, the choices, keeping answers pointing at the same text.
pub fn shuffle(questions: &mut [Asked], seed: u64) {
    let mut rng = SplitMix(seed);
    rng.shuffle(questions);
    for q in questions.iter_mut() {
        let order = rng.shuffle(&mut q.choices);
        // order[new] = old: map old answer indices to new ones.
        let remap = |old: Option<usize>| old.and_then(|o| order.iter().position(|&x| x == o));
        q.answer = remap(q.answer);
        q.declared = remap(q.declared);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str) -> Asked {
        Asked {
            question: name.to_string(),
            choices: ["w", "x", "y", "z"].map(String::from).to_vec(),
            hint: None,
            answer: Some(2),
            declared: Some(2),
            measured: None,
            not_graded: None,
            explanation: String::new(),
            shows: super::super::Shows::Nothing,
        }
    }

    #[test]
    fn same_seed_same_order_and_answers_follow_their_text() {
        let mut a = vec![q("1"), q("2"), q("3")];
        let mut b = a.clone();
        shuffle(&mut a, 7);
        shuffle(&mut b, 7);
        assert_eq!(a, b);
        for x in &a {
            assert_eq!(x.choices[x.answer.unwrap()], "y");
            assert_eq!(x.declared, x.answer);
        }
        let mut c = vec![q("1"), q("2"), q("3")];
        shuffle(&mut c, 8);
        let names = |v: &[Asked]| v.iter().map(|q| q.question.clone()).collect::<Vec<_>>();
        let choice_orders = |v: &[Asked]| v.iter().map(|q| q.choices.clone()).collect::<Vec<_>>();
        assert!(names(&a) != names(&c) || choice_orders(&a) != choice_orders(&c));
    }
}
