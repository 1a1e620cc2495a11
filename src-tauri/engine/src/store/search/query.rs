//! The search language the user types, parsed into a [`SearchQuery`]: free words (all must
//! match; the last one is a prefix while it is being typed), "quoted phrases", and operators —
//! `from:`, `to:`, `subject:`, `is:unread|read|starred`, `has:attachment`,
//! `before:YYYY-MM-DD`, `after:YYYY-MM-DD`, `in:<folder>`.
//!
//! Nothing typed is ever FTS5 syntax: each word or phrase becomes a quoted FTS5 string, so
//! `AND`, `NEAR(`, `*`, `"`, `-` and `:` are only text, and a word without any letter or digit
//! (which FTS5 would turn into an empty phrase) is dropped. An operator with a value it does not
//! understand (`is:urgent`, `before:2024-1`, half typed) is ignored rather than searched as
//! text, so "is:unr" while typing does not flood the list with every mail that says "is".

/// Which text a term must be found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Subject, addresses, body or attachment names.
    Anywhere,
    /// The From header's names and addresses.
    From,
    /// The To and Cc headers' names and addresses.
    To,
    Subject,
}

/// A word or phrase that must occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: Field,
    /// As typed (without the quotes); FTS5's tokenizer splits it into words.
    pub text: String,
    /// The last word of it may be the start of a word: the user is still typing it.
    pub prefix: bool,
}

/// A calendar day, `YYYY-MM-DD`; days start at local midnight (see `Store::search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Day {
    /// `YYYY-MM-DD` or `YYYY/MM/DD`, a real date (no 30 February).
    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.split(['-', '/']);
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || year.len() != 4
            || !(1..=2).contains(&month.len())
            || !(1..=2).contains(&day.len())
        {
            return None;
        }
        let number = |digits: &str| -> Option<u16> {
            digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let year = number(year)?;
        let month = u8::try_from(number(month)?).ok()?;
        let day = u8::try_from(number(day)?).ok()?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year >= 1 && (1..=days_in_month).contains(&day)).then_some(Day { year, month, day })
    }

    /// The form SQLite's date functions read.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The folder named by `in:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderName {
    Inbox,
    Sent,
    Trash,
    Archive,
    /// One of the user's own folders, by name (matched without regard to case).
    User(String),
}

/// What the user asked for; every part must hold for a message to be found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
    /// `is:unread` → `Some(false)`, `is:read` → `Some(true)`; the last one typed wins.
    pub read: Option<bool>,
    pub starred: bool,
    pub has_attachment: bool,
    /// Sent before this day began (the day itself excluded).
    pub before: Option<Day>,
    /// Sent on this day or later.
    pub after: Option<Day>,
    /// Without it, every folder but Trash is searched.
    pub folder: Option<FolderName>,
}

/// One whitespace-separated piece of the input: a word, a "phrase", or `name:value`.
struct Token {
    operator: Option<String>,
    value: String,
    /// The value ended with a closing quote: the user finished it.
    closed_quote: bool,
}

impl SearchQuery {
    pub fn parse(input: &str) -> SearchQuery {
        let tokens = tokens(input);
        // The last token is still being typed unless a space (or a closing quote) ended it.
        let typing_last = !input.ends_with(char::is_whitespace);
        let mut query = SearchQuery::default();
        let count = tokens.len();
        for (index, token) in tokens.into_iter().enumerate() {
            let prefix = typing_last && index + 1 == count && !token.closed_quote;
            query.add(token, prefix);
        }
        query
    }

    /// Nothing to search for: no text and no filter (a blank box lists nothing).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.read.is_none()
            && !self.starred
            && !self.has_attachment
            && self.before.is_none()
            && self.after.is_none()
            && self.folder.is_none()
    }

    fn add(&mut self, token: Token, prefix: bool) {
        let value = token.value;
        let term = |field| Term {
            field,
            text: value.clone(),
            prefix,
        };
        let Some(operator) = token.operator else {
            self.push(term(Field::Anywhere));
            return;
        };
        let lower = value.to_lowercase();
        match operator.as_str() {
            "from" => self.push(term(Field::From)),
            "to" => self.push(term(Field::To)),
            "subject" => self.push(term(Field::Subject)),
            "is" => match lower.as_str() {
                "unread" => self.read = Some(false),
                "read" => self.read = Some(true),
                "starred" => self.starred = true,
                _ => {}
            },
            "has" => {
                if matches!(lower.as_str(), "attachment" | "attachments") {
                    self.has_attachment = true;
                }
            }
            "before" => self.before = Day::parse(&value).or(self.before),
            "after" => self.after = Day::parse(&value).or(self.after),
            "in" => {
                self.folder = match lower.as_str() {
                    "" => self.folder.take(),
                    "inbox" => Some(FolderName::Inbox),
                    "sent" => Some(FolderName::Sent),
                    "trash" => Some(FolderName::Trash),
                    "archive" => Some(FolderName::Archive),
                    _ => Some(FolderName::User(value.trim().to_owned())),
                }
            }
            _ => {}
        }
    }

    /// Keeps a term only if FTS5 would find a word in it: `""`, `*` or `-` alone would be an
    /// empty phrase, which matches nothing or is an error.
    fn push(&mut self, term: Term) {
        if term.text.chars().any(is_word_char) {
            self.terms.push(term);
        }
    }

    /// The FTS5 MATCH expression for the terms, `None` when there are none. Every term is a
    /// quoted string (a quote inside doubled), so nothing typed can be FTS5 syntax; terms are
    /// joined by AND (spelled out: FTS5's implicit AND does not reach a parenthesised group).
    pub fn fts_expression(&self) -> Option<String> {
        self.joined(" AND ", None)
    }

    /// [`SearchQuery::fts_expression`] with the prefix term written out as the whole words it
    /// may become (`"inv" *` → `("invoice" OR "invitation")`). FTS5 answers a prefix by
    /// merging the lists of every word it starts, for the whole mailbox, before it can return
    /// the newest 50 (100 ms for मे on 100,000 messages); an OR of words is read newest first
    /// and stops after 50 (under 1 ms).
    pub fn fts_expression_expanded(&self, words: &[String]) -> Option<String> {
        self.joined(" AND ", Some(words))
    }

    /// The prefix term being typed: its index and its last word, lowercased as the index
    /// folds it (exactly for ASCII and Devanagari, which have no other case rules).
    pub fn typed_prefix(&self) -> Option<(usize, String)> {
        let (index, term) = self
            .terms
            .iter()
            .enumerate()
            .rev()
            .find(|(_, term)| term.prefix)?;
        let last = term.text.rsplit(|c: char| !is_word_char(c)).next()?;
        (!last.is_empty()).then(|| (index, last.to_lowercase()))
    }
    /// The terms joined by OR: what to mark in a hit's text. Every term found is marked, even
    /// when the text shown holds only some of them (a snippet is a window of the body).
    pub fn highlight_expression(&self) -> Option<String> {
        self.joined(" OR ", None)
    }

    /// The first word of each term searched in the body, lowercased (ASCII only, so byte
    /// offsets stay those of the text), and whether it may be the start of a longer word:
    /// where to cut the window of text a snippet is made from.
    pub fn body_words(&self) -> Vec<(String, bool)> {
        self.terms
            .iter()
            .filter(|term| term.field == Field::Anywhere)
            .filter_map(|term| {
                let mut words = term.text.split(|c: char| !is_word_char(c));
                let first = words.find(|word| !word.is_empty())?;
                let only = words.all(str::is_empty);
                Some((first.to_ascii_lowercase(), only && term.prefix))
            })
            .collect()
    }

    fn joined(&self, separator: &str, expanded: Option<&[String]>) -> Option<String> {
        if self.terms.is_empty() {
            return None;
        }
        let typed = expanded.and_then(|words| Some((self.typed_prefix()?.0, words)));
        let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let parts: Vec<String> = self
            .terms
            .iter()
            .enumerate()
            .map(|(index, term)| {
                let column = match term.field {
                    Field::Anywhere => "",
                    Field::From => "sender : ",
                    Field::To => "recipients : ",
                    Field::Subject => "subject : ",
                };
                match typed {
                    Some((typed, words)) if typed == index && !words.is_empty() => {
                        // The text before the last word stays: "ravi@exa" → "ravi@example".
                        let stem = term.text.trim_end_matches(is_word_char).to_owned();
                        let choices: Vec<String> = words
                            .iter()
                            .map(|word| quote(&(stem.clone() + word)))
                            .collect();
                        format!("{column}({})", choices.join(" OR "))
                    }
                    _ => {
                        let star = if term.prefix { " *" } else { "" };
                        format!("{column}{}{star}", quote(&term.text))
                    }
                }
            })
            .collect();
        Some(parts.join(separator))
    }
}

const OPERATORS: [&str; 8] = [
    "from", "to", "subject", "is", "has", "before", "after", "in",
];

/// The characters the index keeps inside words: its tokenizer is `unicode61` with categories
/// `L* N* Co M*`. `is_alphanumeric` covers letters and numbers; marks are not all alphabetic
/// (the virama of पत्र, the nukta of ज़ are not), so the Indic blocks count as word characters
/// but for their full stops (। ॥ ॰), and so do the combining-mark blocks and private use.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || (('\u{0900}'..='\u{0DFF}').contains(&c)
            && !matches!(c, '\u{0964}' | '\u{0965}' | '\u{0970}' | '\u{0DF4}'))
        || ('\u{0300}'..='\u{036F}').contains(&c)
        || ('\u{1AB0}'..='\u{1AFF}').contains(&c)
        || ('\u{1DC0}'..='\u{1DFF}').contains(&c)
        || ('\u{20D0}'..='\u{20FF}').contains(&c)
        || ('\u{FE20}'..='\u{FE2F}').contains(&c)
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

fn tokens(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else {
            return tokens;
        };
        if first == '"' {
            let (value, closed, after) = quoted(&rest[1..]);
            tokens.push(Token {
                operator: None,
                value,
                closed_quote: closed,
            });
            rest = after;
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        let operator = word.split_once(':').and_then(|(name, value)| {
            let name = name.to_ascii_lowercase();
            OPERATORS
                .contains(&name.as_str())
                .then(|| (name, value.to_owned()))
        });
        match operator {
            // `in:"My folder"`: the quoted value follows the colon directly.
            Some((name, value)) if value.is_empty() && rest.starts_with('"') => {
                let (value, closed, after) = quoted(&rest[1..]);
                rest = after;
                tokens.push(Token {
                    operator: Some(name),
                    value,
                    closed_quote: closed,
                });
            }
            Some((name, value)) => tokens.push(Token {
                operator: Some(name),
                value,
                closed_quote: false,
            }),
            None => tokens.push(Token {
                operator: None,
                value: word.to_owned(),
                closed_quote: false,
            }),
        }
    }
}

/// The text up to the closing quote (or the end, while it is being typed): (text, closed, rest).
fn quoted(text: &str) -> (String, bool, &str) {
    match text.find('"') {
        Some(end) => (text[..end].to_owned(), true, &text[end + 1..]),
        None => (text.to_owned(), false, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Field, text: &str, prefix: bool) -> Term {
        Term {
            field,
            text: text.to_owned(),
            prefix,
        }
    }

    fn words(query: &str) -> Vec<Term> {
        SearchQuery::parse(query).terms
    }

    #[test]
    fn free_words_all_count_and_only_the_last_is_a_prefix_while_typing() {
        assert_eq!(
            words("invoice march"),
            [
                term(Field::Anywhere, "invoice", false),
                term(Field::Anywhere, "march", true)
            ]
        );
        assert_eq!(
            words("invoice march "),
            [
                term(Field::Anywhere, "invoice", false),
                term(Field::Anywhere, "march", false)
            ],
            "a space ends the word"
        );
        assert_eq!(
            words("मेल डाकघर"),
            [
                term(Field::Anywhere, "मेल", false),
                term(Field::Anywhere, "डाकघर", true)
            ]
        );
        assert_eq!(words("मे"), [term(Field::Anywhere, "मे", true)]);
        assert_eq!(words("मेल "), [term(Field::Anywhere, "मेल", false)]);
    }

    #[test]
    fn phrases_are_one_term_and_a_closed_one_is_exact() {
        assert_eq!(
            words("\"annual report\" due"),
            [
                term(Field::Anywhere, "annual report", false),
                term(Field::Anywhere, "due", true)
            ]
        );
        assert_eq!(
            words("\"डाक घर\""),
            [term(Field::Anywhere, "डाक घर", false)]
        );
        assert_eq!(
            words("\"डाक घ"),
            [term(Field::Anywhere, "डाक घ", true)],
            "an unclosed phrase is still being typed"
        );
        assert_eq!(
            words("a\"b c\"d"),
            [
                term(Field::Anywhere, "a", false),
                term(Field::Anywhere, "b c", false),
                term(Field::Anywhere, "d", true)
            ]
        );
    }

    #[test]
    fn address_and_subject_operators() {
        assert_eq!(
            words("from:ravi to:asha@example.org subject:बिल"),
            [
                term(Field::From, "ravi", false),
                term(Field::To, "asha@example.org", false),
                term(Field::Subject, "बिल", true)
            ]
        );
        assert_eq!(
            words("FROM:\"Ravi Kumar\" subject:\"नया साल\" x"),
            [
                term(Field::From, "Ravi Kumar", false),
                term(Field::Subject, "नया साल", false),
                term(Field::Anywhere, "x", true)
            ]
        );
        assert_eq!(words("from:"), [], "an operator without its value yet");
        assert_eq!(words("from:\""), []);
    }

    #[test]
    fn flags_dates_and_folders() {
        let query = SearchQuery::parse(
            "is:unread is:starred has:attachment before:2024-03-10 after:2023/1/5 in:archive",
        );
        assert_eq!(
            query,
            SearchQuery {
                terms: vec![],
                read: Some(false),
                starred: true,
                has_attachment: true,
                before: Some(Day {
                    year: 2024,
                    month: 3,
                    day: 10
                }),
                after: Some(Day {
                    year: 2023,
                    month: 1,
                    day: 5
                }),
                folder: Some(FolderName::Archive),
            }
        );
        assert_eq!(SearchQuery::parse("is:read is:UNREAD").read, Some(false));
        assert_eq!(SearchQuery::parse("is:unread is:read").read, Some(true));
        assert_eq!(
            SearchQuery::parse("in:Inbox").folder,
            Some(FolderName::Inbox)
        );
        assert_eq!(SearchQuery::parse("in:sent").folder, Some(FolderName::Sent));
        assert_eq!(
            SearchQuery::parse("in:trash").folder,
            Some(FolderName::Trash)
        );
        assert_eq!(
            SearchQuery::parse("in:\"मेरे काम\" बिल").folder,
            Some(FolderName::User("मेरे काम".into()))
        );
        assert_eq!(
            SearchQuery::parse("in:यात्रा").folder,
            Some(FolderName::User("यात्रा".into()))
        );
        assert_eq!(
            SearchQuery::parse("in:\"Tax 2024\"").folder,
            Some(FolderName::User("Tax 2024".into()))
        );
    }

    #[test]
    fn half_typed_or_unknown_operator_values_are_ignored() {
        for query in [
            "is:",
            "is:unr",
            "has:attach",
            "before:2024-1",
            "before:2024-02-30",
            "after:tomorrow",
            "in:",
            "before:20240101",
            "after:2024-13-01",
            "before:0000-01-01",
        ] {
            assert!(SearchQuery::parse(query).is_empty(), "{query}");
        }
        assert_eq!(
            Day::parse("2024-02-29"),
            Some(Day {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(Day::parse("2023-02-29"), None);
        assert_eq!(Day::parse("2100-02-29"), None);
        assert_eq!(
            Day::parse("2000-02-29").map(Day::iso),
            Some("2000-02-29".into())
        );
    }

    #[test]
    fn words_with_colons_that_are_not_operators_are_text() {
        assert_eq!(
            words("re: http://example.org/x"),
            [
                term(Field::Anywhere, "re:", false),
                term(Field::Anywhere, "http://example.org/x", true)
            ]
        );
        assert_eq!(words("समय:10"), [term(Field::Anywhere, "समय:10", true)]);
    }

    #[test]
    fn fts_expression_quotes_everything() {
        let expression = |query: &str| SearchQuery::parse(query).fts_expression();
        assert_eq!(expression("  "), None);
        assert_eq!(expression("is:unread"), None);
        assert_eq!(expression("डाक"), Some("\"डाक\" *".into()));
        assert_eq!(
            expression("from:ravi to:asha subject:\"a b\" x "),
            Some(
                "sender : \"ravi\" AND recipients : \"asha\" AND subject : \"a b\" AND \"x\""
                    .into()
            )
        );
        assert_eq!(
            expression("NEAR(a b) AND c OR d NOT"),
            Some(
                "\"NEAR(a\" AND \"b)\" AND \"AND\" AND \"c\" AND \"OR\" AND \"d\" AND \"NOT\" *"
                    .into()
            )
        );
        assert_eq!(
            expression("x\"\"y"),
            Some("\"x\" AND \"y\" *".into()),
            "an empty phrase is dropped"
        );
        assert_eq!(
            expression("it's 5\"4"),
            Some("\"it's\" AND \"5\" AND \"4\" *".into())
        );
    }

    #[test]
    fn highlighting_marks_any_term_and_knows_the_body_words() {
        let query = SearchQuery::parse("from:ravi \"Annual report\" मे");
        assert_eq!(
            query.highlight_expression(),
            Some("sender : \"ravi\" OR \"Annual report\" OR \"मे\" *".into())
        );
        assert_eq!(
            query.body_words(),
            [("annual".to_owned(), false), ("मे".to_owned(), true)]
        );
        assert_eq!(
            SearchQuery::parse("ravi@exa").body_words(),
            [("ravi".to_owned(), false)],
            "only a one-word term's end is a prefix"
        );
    }

    #[test]
    fn a_typed_prefix_is_written_out_as_words() {
        let query = SearchQuery::parse("invoice from:ravi@exa");
        assert_eq!(query.typed_prefix(), Some((1, "exa".to_owned())));
        assert_eq!(
            query.fts_expression_expanded(&["exam".into(), "example".into()]),
            Some("\"invoice\" AND sender : (\"ravi@exam\" OR \"ravi@example\")".into())
        );
        let hindi = SearchQuery::parse("\"डाकघर पहुँ");
        assert_eq!(hindi.typed_prefix(), Some((0, "पहुँ".to_owned())));
        assert_eq!(
            hindi.fts_expression_expanded(&["पहुँच".into()]),
            Some("(\"डाकघर पहुँच\")".into())
        );
        assert_eq!(
            SearchQuery::parse("पत्").typed_prefix(),
            Some((0, "पत्".to_owned()))
        );
        assert_eq!(
            SearchQuery::parse("INV").typed_prefix(),
            Some((0, "inv".to_owned()))
        );
        assert_eq!(SearchQuery::parse("invoice ").typed_prefix(), None);
        assert_eq!(SearchQuery::parse("\"a b\"").typed_prefix(), None);
        assert_eq!(
            SearchQuery::parse("inv").fts_expression_expanded(&[]),
            Some("\"inv\" *".into()),
            "nothing to write out: FTS5's own prefix query"
        );
    }

    #[test]
    fn hostile_pieces_without_words_are_dropped() {
        for query in [
            "*", "-", "\"", "\"\"", ":", "( )", "^", "-*", "+", "\" *", "\u{200d}",
        ] {
            assert_eq!(words(query), [], "{query:?}");
        }
        assert_eq!(words("-ravi"), [term(Field::Anywhere, "-ravi", true)]);
        assert_eq!(
            words("{sender}: x"),
            [
                term(Field::Anywhere, "{sender}:", false),
                term(Field::Anywhere, "x", true)
            ],
            "FTS5 column syntax is only text"
        );
    }
}
