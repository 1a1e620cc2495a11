//! The few sentences the shell shows outside the window (the tray menu, notifications), read
//! from the window's own catalogues (`ui/src/lib/i18n`): the tray and the window say "Get mail"
//! with the same words in each language, and the catalogue check (`npm run check:i18n`, which
//! also reads this crate's sources) holds the shell's keys to the same rules as the window's.

use std::collections::HashMap;
use std::sync::OnceLock;

use dakiya_engine::Language;

const EN: &str = include_str!("../../ui/src/lib/i18n/en.json");
const HI: &str = include_str!("../../ui/src/lib/i18n/hi.json");

fn catalogue(language: Language) -> &'static HashMap<String, String> {
    static CATALOGUES: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
    let [en, hi] = CATALOGUES.get_or_init(|| {
        // Both are built into the binary and checked by the UI's tests; an unreadable one
        // leaves the keys themselves showing rather than stopping the app.
        let parse = |json: &str| serde_json::from_str(json).unwrap_or_default();
        [parse(EN), parse(HI)]
    });
    match language {
        Language::En => en,
        Language::Hi => hi,
    }
}

/// The sentence for `key` in `language`, else in English.
fn lookup(language: Language, key: &str) -> Option<&'static str> {
    catalogue(language)
        .get(key)
        .or_else(|| catalogue(Language::En).get(key))
        .map(String::as_str)
}

/// The sentence for `key` in `language`, else in English, else the key itself.
pub fn text(language: Language, key: &'static str) -> &'static str {
    lookup(language, key).unwrap_or(key)
}

/// The plural sentence `base.one` / `base.other` for `count`, with `{count}` written as the
/// language writes numbers (the window's `tn`).
pub fn count(language: Language, base: &str, count: u32) -> String {
    // CLDR's rules, which the window's Intl.PluralRules apply: Hindi's "one" takes 0 and 1.
    let one = match language {
        Language::En => count == 1,
        Language::Hi => count <= 1,
    };
    let key = format!("{base}.{}", if one { "one" } else { "other" });
    lookup(language, &key)
        .unwrap_or(&key)
        .replace("{count}", &number(language, count))
}

/// A count as the window's `formatNumber` writes it: 1,234 in English; 1,23,456 in Hindi
/// (`hi-IN`: Western digits, the last three grouped, then pairs).
pub fn number(language: Language, n: u32) -> String {
    let digits = n.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let size = match language {
        Language::En => 3,
        Language::Hi => 2,
    };
    let mut groups = Vec::new();
    let mut rest = head;
    while rest.len() > size {
        let (left, right) = rest.split_at(rest.len() - size);
        groups.push(right);
        rest = left;
    }
    groups.push(rest);
    groups.reverse();
    format!("{},{last3}", groups.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_as_each_language_writes_them() {
        for (n, en, hi) in [
            (7, "7", "7"),
            (999, "999", "999"),
            (1_000, "1,000", "1,000"),
            (12_345, "12,345", "12,345"),
            (123_456, "123,456", "1,23,456"),
            (10_000_000, "10,000,000", "1,00,00,000"),
        ] {
            assert_eq!(number(Language::En, n), en);
            assert_eq!(number(Language::Hi, n), hi);
        }
    }

    #[test]
    fn sentences_come_from_the_window_catalogues() {
        assert_eq!(text(Language::En, "action.getMail"), "Get mail");
        assert_eq!(text(Language::Hi, "action.getMail"), "मेल प्राप्त करें");
        assert_eq!(text(Language::Hi, "no.such.key"), "no.such.key");
        assert_eq!(count(Language::En, "tray.unread", 1), "1 unread message");
        assert_eq!(
            count(Language::En, "tray.unread", 1234),
            "1,234 unread messages"
        );
        assert_eq!(count(Language::Hi, "fetch.newMessages", 1), "1 नया संदेश");
        assert_eq!(
            count(Language::Hi, "fetch.newMessages", 123_456),
            "1,23,456 नए संदेश"
        );
    }
}
