//! The English collation the generator orders every name with (`Intl.Collator("en")`, ICU root rules):
//! punctuation and symbols before digits, digits before letters, letters case-insensitively at the first
//! level, accents at the second, lower case before upper case at the third.
//!
//! Exact for ASCII and the Latin-1 letters; any other character sorts after the letters by code point.

use std::cmp::Ordering;

/// ASCII punctuation and symbols in their ICU root order (spaces first, `$` last before the digits).
const PUNCTUATION: &str = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

/// The three collation weights of one character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Weights {
    primary: u32,
    secondary: u8,
    tertiary: u8,
}

fn weights(c: char) -> Weights {
    if c.is_ascii() {
        return ASCII[c as usize];
    }
    slow_weights(c)
}

/// The weights of the ASCII characters, computed once.
static ASCII: std::sync::LazyLock<[Weights; 128]> = std::sync::LazyLock::new(|| {
    let mut table = [Weights { primary: 0, secondary: 0, tertiary: 0 }; 128];
    for (i, slot) in table.iter_mut().enumerate() {
        *slot = slow_weights(char::from(i as u8));
    }
    table
});

fn slow_weights(c: char) -> Weights {
    if let Some(index) = PUNCTUATION.find(c) {
        return Weights { primary: 1 + index as u32, secondary: 0, tertiary: 0 };
    }
    if c.is_ascii_digit() {
        return Weights { primary: 100 + (c as u32 - '0' as u32), secondary: 0, tertiary: 0 };
    }
    if c.is_ascii_alphabetic() {
        let lower = c.to_ascii_lowercase();
        return Weights {
            primary: 200 + (lower as u32 - 'a' as u32) * 4,
            secondary: 0,
            tertiary: u8::from(c.is_ascii_uppercase()),
        };
    }
    if let Some((base, accent)) = latin1_letter(c) {
        let lower = base.to_ascii_lowercase();
        return Weights {
            primary: 200 + (lower as u32 - 'a' as u32) * 4,
            secondary: accent,
            tertiary: u8::from(base.is_ascii_uppercase()),
        };
    }
    Weights { primary: 1000 + c as u32, secondary: 0, tertiary: 0 }
}

/// Latin-1 letters as (base letter, accent rank); the accent ranks follow the ICU secondary order.
fn latin1_letter(c: char) -> Option<(char, u8)> {
    const TABLE: [(&str, char); 12] = [
        ("áàâäãå", 'a'),
        ("ÁÀÂÄÃÅ", 'A'),
        ("éèêë", 'e'),
        ("ÉÈÊË", 'E'),
        ("íìîï", 'i'),
        ("ÍÌÎÏ", 'I'),
        ("óòôöõ", 'o'),
        ("ÓÒÔÖÕ", 'O'),
        ("úùûü", 'u'),
        ("ÚÙÛÜ", 'U'),
        ("ñç", 'n'),
        ("ÑÇ", 'N'),
    ];
    for (letters, base) in TABLE {
        if let Some(position) = letters.chars().position(|l| l == c) {
            let base = match (base, c) {
                ('n', 'ç') => 'c',
                ('N', 'Ç') => 'C',
                _ => base,
            };
            return Some((base, accent_rank(letters, position)));
        }
    }
    match c {
        'ý' | 'ÿ' => Some(('y', 1)),
        'Ý' => Some(('Y', 1)),
        _ => None,
    }
}

/// acute, grave, circumflex, diaeresis, tilde, ring; cedilla and the n tilde use their own slots.
fn accent_rank(letters: &str, position: usize) -> u8 {
    if letters.starts_with('ñ') || letters.starts_with('Ñ') {
        return if position == 0 { 5 } else { 6 };
    }
    1 + position as u8
}

/// Compares two names as `Intl.Collator("en").compare` does.
pub fn compare(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let level = |f: fn(Weights) -> u32| a.chars().map(weights).map(f).cmp(b.chars().map(weights).map(f));
    level(|w| w.primary).then_with(|| level(|w| u32::from(w.secondary))).then_with(|| level(|w| u32::from(w.tertiary)))
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn underscores_digits_letters_and_case() {
        let mut names = vec!["b", "_a", "a_b", "ab", "a1", "A", "a", "aB", "Ab", "a-b", "a b", "é", "f", "2"];
        names.sort_by(|x, y| compare(x, y));
        assert_eq!(names, vec!["_a", "2", "a", "A", "a b", "a_b", "a-b", "a1", "ab", "aB", "Ab", "b", "é", "f"]);
    }
}
