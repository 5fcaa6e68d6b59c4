//! Position conversions on fixtures: `$0` marks the byte offset a position must map to and from.

use infill_syntax::{Position, PositionEncoding, byte_offset, position_of};
use ropey::Rope;

const ENCODINGS: [PositionEncoding; 3] =
    [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32];

/// The fixture's text without the marker, and the marker's byte offset.
fn fixture(text: &str) -> (Rope, usize) {
    let cursor = text.find("$0").expect("fixture has a $0 marker");
    (Rope::from_str(&text.replacen("$0", "", 1)), cursor)
}

/// The `$0` offset is at `line` and at `characters` = [UTF-8, UTF-16, UTF-32] code units, both
/// ways.
#[track_caller]
fn check(text: &str, line: u32, characters: [u32; 3]) {
    let (rope, cursor) = fixture(text);
    for (encoding, character) in ENCODINGS.into_iter().zip(characters) {
        let position = Position { line, character };
        assert_eq!(position_of(&rope, cursor, encoding), position, "position_of, {encoding:?}");
        assert_eq!(byte_offset(&rope, position, encoding), cursor, "byte_offset, {encoding:?}");
    }
}

/// `position` (out of range or inside a char) clamps to the `$0` offset.
#[track_caller]
fn check_clamp(text: &str, position: Position, encoding: PositionEncoding) {
    let (rope, cursor) = fixture(text);
    assert_eq!(byte_offset(&rope, position, encoding), cursor, "{position:?} in {encoding:?}");
}

fn at(line: u32, character: u32) -> Position {
    Position { line, character }
}

#[test]
fn ascii() {
    check("$0", 0, [0, 0, 0]);
    check("$0abc", 0, [0, 0, 0]);
    check("abc$0def", 0, [3, 3, 3]);
    check("ab\ncd$0", 1, [2, 2, 2]);
    check("ab\n$0cd", 1, [0, 0, 0]);
    check("ab\n$0", 1, [0, 0, 0]);
    check("ab$0\ncd", 0, [2, 2, 2]);
}

#[test]
fn cjk() {
    check("日本$0語", 0, [6, 2, 2]);
    check("x\n日本語$0", 1, [9, 3, 3]);
}

#[test]
fn emoji_outside_the_basic_plane() {
    check("a😀$0b", 0, [5, 3, 2]);
    check("😀😀$0\n", 0, [8, 4, 2]);
}

#[test]
fn zwj_sequence_counts_code_points_not_graphemes() {
    // 👨‍👩‍👧 = U+1F468 U+200D U+1F469 U+200D U+1F467.
    check("x👨‍👩‍👧$0y", 0, [19, 9, 6]);
    check("👨$0‍👩‍👧", 0, [4, 2, 1]);
    check("👨‍$0👩‍👧", 0, [7, 3, 2]);
}

#[test]
fn astral_deseret() {
    check("𐐀𐐀$0", 0, [8, 4, 2]);
    check("𐐀\n$0𐐀", 1, [0, 0, 0]);
}

#[test]
fn crlf_lines() {
    check("one\r\ntwo$0\r\nthree", 1, [3, 3, 3]);
    check("one\r\ntwo\r\n$0three", 2, [0, 0, 0]);
    check("a\r\n$0", 1, [0, 0, 0]);
    check("日本\r\n😀 $0x", 1, [5, 3, 2]);
}

#[test]
fn only_newline_breaks_lines() {
    // Like tree-sitter's rows: a lone CR and U+2028 are ordinary characters.
    check("a\rb$0", 0, [3, 3, 3]);
    check("a\u{2028}b$0", 0, [5, 3, 3]);
    check("a\u{c}b$0\nc", 0, [3, 3, 3]);
}

#[test]
fn character_past_end_of_line_clamps_before_the_line_break() {
    for encoding in ENCODINGS {
        check_clamp("abc$0\ndef", at(0, 4), encoding);
        check_clamp("abc$0\ndef", at(0, 1000), encoding);
        check_clamp("abc$0\r\ndef", at(0, 4), encoding);
        check_clamp("abc$0\r\ndef", at(0, 5), encoding);
        check_clamp("abc\ndef$0", at(1, 99), encoding);
        check_clamp("a😀$0\nb", at(0, u32::MAX), encoding);
    }
    check_clamp("a😀$0\nb", at(0, 3), PositionEncoding::Utf32);
    check_clamp("a😀$0\nb", at(0, 4), PositionEncoding::Utf16);
    check_clamp("a😀$0\nb", at(0, 6), PositionEncoding::Utf8);
}

#[test]
fn line_past_last_line_clamps_to_end_of_text() {
    for encoding in ENCODINGS {
        check_clamp("abc\ndef$0", at(2, 0), encoding);
        check_clamp("abc\ndef$0", at(u32::MAX, u32::MAX), encoding);
        check_clamp("abc\n$0", at(1, 0), encoding);
        check_clamp("abc\n$0", at(5, 3), encoding);
        check_clamp("$0", at(3, 3), encoding);
    }
}

#[test]
fn inside_a_surrogate_pair_rounds_down() {
    check_clamp("a$0😀b", at(0, 2), PositionEncoding::Utf16);
    check_clamp("a$0𐐀\n", at(0, 2), PositionEncoding::Utf16);
    check_clamp("x\n$0👨‍👩‍👧", at(1, 1), PositionEncoding::Utf16);
}

#[test]
fn inside_a_multi_byte_utf8_char_rounds_down() {
    check_clamp("日$0本", at(0, 4), PositionEncoding::Utf8);
    check_clamp("日$0本", at(0, 5), PositionEncoding::Utf8);
    check_clamp("$0😀", at(0, 3), PositionEncoding::Utf8);
}

#[test]
fn position_of_clamps_and_rounds_down() {
    let rope = Rope::from_str("日本\n😀");
    assert_eq!(position_of(&rope, 4, PositionEncoding::Utf16), at(0, 1));
    assert_eq!(position_of(&rope, 4, PositionEncoding::Utf8), at(0, 3));
    assert_eq!(position_of(&rope, 9, PositionEncoding::Utf16), at(1, 0));
    assert_eq!(position_of(&rope, 10_000, PositionEncoding::Utf16), at(1, 2));
    assert_eq!(position_of(&rope, 10_000, PositionEncoding::Utf8), at(1, 4));
    assert_eq!(position_of(&rope, 10_000, PositionEncoding::Utf32), at(1, 1));
}

#[test]
fn round_trip_every_char_boundary() {
    let text = "fn 日本() {\r\n  \"😀👨‍👩‍👧𐐀\"\n}\n\n\tx\u{e9}";
    let rope = Rope::from_str(text);
    for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
        let in_line_break = text[..byte].ends_with('\r') && text[byte..].starts_with('\n');
        if in_line_break {
            continue;
        }
        for encoding in ENCODINGS {
            let position = position_of(&rope, byte, encoding);
            assert_eq!(byte_offset(&rope, position, encoding), byte, "{byte} {encoding:?}");
        }
    }
}
