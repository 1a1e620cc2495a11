//! Internationalised domain names in addresses (RFC 5890/5891). A domain written in Unicode
//! (`उदाहरण.भारत`) has an ASCII form, its A-labels (`xn--…`), that every SMTP server and every
//! header reader understands. lettre keeps an address as typed, so without this an IDN domain
//! would need SMTPUTF8 (RFC 6531) in the envelope and raw UTF-8 (RFC 6532) in To/Cc, and a
//! server without SMTPUTF8 could not be given the message at all.
//!
//! Only the domain is converted. A non-ASCII local part (`रवि@…`) has no ASCII form: such an
//! address genuinely needs SMTPUTF8, and the SMTP code says so if the server lacks it.

use lettre::message::Mailbox;
use lettre::Address;

/// The address with its domain as A-labels; unchanged when the domain is ASCII already (an
/// IP literal too) or cannot be converted (then the server's own check will say why).
pub(crate) fn ascii_domain(address: Address) -> Address {
    if address.domain().is_ascii() {
        return address;
    }
    idna::domain_to_ascii(address.domain())
        .ok()
        .and_then(|domain| Address::new(address.user(), domain).ok())
        .unwrap_or(address)
}

/// The mailbox with its address's domain as A-labels; the display name is left to lettre's
/// RFC 2047 encoding.
pub(crate) fn ascii_domain_mailbox(mailbox: Mailbox) -> Mailbox {
    Mailbox::new(mailbox.name, ascii_domain(mailbox.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> Address {
        text.parse().expect("a valid address")
    }

    #[test]
    fn a_unicode_domain_becomes_a_labels() {
        assert_eq!(
            ascii_domain(address("user@उदाहरण.भारत")).to_string(),
            "user@xn--p1b6ci4b4b3a.xn--h2brj9c"
        );
    }

    #[test]
    fn an_ascii_address_is_left_exactly_as_typed() {
        for text in ["Ravi@Example.ORG", "a@[127.0.0.1]", "x.y+z@sub.example.org"] {
            assert_eq!(ascii_domain(address(text)).to_string(), text);
        }
    }

    #[test]
    fn a_non_ascii_local_part_stays_and_only_the_domain_changes() {
        assert_eq!(
            ascii_domain(address("रवि@example.org")).to_string(),
            "रवि@example.org"
        );
        assert_eq!(
            ascii_domain(address("रवि@उदाहरण.भारत")).to_string(),
            "रवि@xn--p1b6ci4b4b3a.xn--h2brj9c"
        );
    }

    #[test]
    fn the_display_name_is_kept() {
        let mailbox: Mailbox = "रवि <ravi@उदाहरण.भारत>".parse().expect("a mailbox");
        let converted = ascii_domain_mailbox(mailbox);
        assert_eq!(converted.name.as_deref(), Some("रवि"));
        assert_eq!(
            converted.email.to_string(),
            "ravi@xn--p1b6ci4b4b3a.xn--h2brj9c"
        );
    }
}

/// What goes on the wire for a composed message with IDN domains and Hindi names.
#[cfg(test)]
mod message_tests {
    use crate::account::AccountSettings;
    use crate::mime::{build_message, OutgoingMessage};

    fn account(email: &str) -> AccountSettings {
        crate::account::test_account("आशा राव", email)
    }

    fn header<'a>(wire: &'a str, name: &str) -> &'a str {
        let start = wire
            .find(&format!("\r\n{name}: "))
            .unwrap_or_else(|| panic!("no {name} header in {wire}"));
        let rest = &wire[start + 2..];
        // A folded header continues on lines that start with white space.
        let end = rest
            .match_indices("\r\n")
            .map(|(at, _)| at)
            .find(|&at| !rest[at + 2..].starts_with([' ', '\t']))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    #[test]
    fn idn_domains_go_out_as_a_labels_and_hindi_names_encoded() {
        let outgoing = OutgoingMessage {
            to: "रवि <ravi@उदाहरण.भारत>".into(),
            cc: "mira@उदाहरण.भारत".into(),
            bcc: "chhupa@उदाहरण.भारत".into(),
            subject: "नमस्ते".into(),
            body: "पहली पंक्ति\n".into(),
            ..OutgoingMessage::default()
        };
        let built = build_message(&account("asha@उदाहरण.भारत"), &outgoing, &[]).expect("built");
        let wire = format!(
            "\r\n{}",
            String::from_utf8(built.raw.clone()).expect("UTF-8")
        );
        assert!(wire.is_ascii(), "nothing here needs SMTPUTF8: {wire}");
        assert_eq!(
            header(&wire, "Message-ID"),
            format!("Message-ID: <{}>", built.message_id)
        );
        assert!(built.message_id.ends_with("@xn--p1b6ci4b4b3a.xn--h2brj9c"));

        let to = header(&wire, "To");
        assert!(
            to.to_ascii_lowercase().starts_with("to: =?utf-8?"),
            "the display name is RFC 2047 encoded: {to}"
        );
        assert!(to.ends_with("<ravi@xn--p1b6ci4b4b3a.xn--h2brj9c>"), "{to}");
        assert_eq!(header(&wire, "Cc"), "Cc: mira@xn--p1b6ci4b4b3a.xn--h2brj9c");
        assert!(header(&wire, "From").ends_with("<asha@xn--p1b6ci4b4b3a.xn--h2brj9c>"));

        assert_eq!(built.envelope_from, "asha@xn--p1b6ci4b4b3a.xn--h2brj9c");
        assert_eq!(
            built.envelope_to,
            [
                "ravi@xn--p1b6ci4b4b3a.xn--h2brj9c",
                "mira@xn--p1b6ci4b4b3a.xn--h2brj9c",
                "chhupa@xn--p1b6ci4b4b3a.xn--h2brj9c",
            ]
        );
        let read = crate::mime::envelope(&built.raw);
        assert_eq!(read.from_name, "आशा राव");
    }

    #[test]
    fn a_non_ascii_local_part_is_kept_for_smtputf8() {
        let outgoing = OutgoingMessage {
            to: "रवि@example.org".into(),
            subject: "s".into(),
            ..OutgoingMessage::default()
        };
        let built = build_message(&account("asha@example.org"), &outgoing, &[]).expect("built");
        assert_eq!(built.envelope_to, ["रवि@example.org"]);
    }
}
