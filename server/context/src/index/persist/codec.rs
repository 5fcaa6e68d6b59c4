//! The byte encoding of one file's [`FileSymbols`] in the on-disk index: little-endian integers,
//! length-prefixed strings and lists. Decoding checks every length against what is left, so a
//! damaged record decodes to `None`, never to a panic or a huge allocation.

use crate::extract::{DefKind, Definition, FileSymbols, Import, ImportKind, index_names};

/// Appends to a byte buffer.
#[derive(Default)]
pub(super) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// A length: lists and strings longer than `u32::MAX` do not occur (files are at most
    /// [`IndexOptions::max_file_bytes`](crate::IndexOptions::max_file_bytes)); saturate anyway.
    pub fn len(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    pub fn str(&mut self, value: &str) {
        self.len(value.len());
        self.bytes.extend_from_slice(value.as_bytes());
    }
}

/// Reads from a byte slice; every read is checked.
pub(super) struct Reader<'b> {
    bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    pub fn new(bytes: &'b [u8]) -> Reader<'b> {
        Reader { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn take(&mut self, count: usize) -> Option<&'b [u8]> {
        if count > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Some(head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A list length, refused when even `min_item_bytes` per item would not fit in what is left.
    pub fn len(&mut self, min_item_bytes: usize) -> Option<usize> {
        let len = self.u32()? as usize;
        (len.saturating_mul(min_item_bytes.max(1)) <= self.bytes.len()).then_some(len)
    }

    pub fn str(&mut self) -> Option<&'b str> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
}

const KINDS: [DefKind; 9] = [
    DefKind::Function,
    DefKind::Method,
    DefKind::Class,
    DefKind::Type,
    DefKind::Impl,
    DefKind::Constant,
    DefKind::Module,
    DefKind::Macro,
    DefKind::Other,
];

const IMPORT_KINDS: [ImportKind; 3] = [ImportKind::Path, ImportKind::Submodule, ImportKind::System];

/// Encodes `symbols` (all but `def_index`, which decoding rebuilds).
pub(super) fn encode(symbols: &FileSymbols) -> Vec<u8> {
    let mut out = Writer::default();
    out.len(symbols.definitions.len());
    for def in &symbols.definitions {
        out.str(&def.name);
        out.u8(KINDS.iter().position(|&kind| kind == def.kind).unwrap_or(KINDS.len() - 1) as u8);
        out.u64(def.range.start as u64);
        out.u64(def.range.end as u64);
        out.u64(def.header_start as u64);
        match &def.body {
            Some(body) => {
                out.u8(1);
                out.u64(body.start as u64);
                out.u64(body.end as u64);
            }
            None => out.u8(0),
        }
        out.u32(def.start_line);
        out.u32(def.end_line);
        out.u32(def.parent.unwrap_or(u32::MAX));
        out.len(def.extends.len());
        for base in &def.extends {
            out.str(base);
        }
    }
    out.len(symbols.imports.len());
    for import in &symbols.imports {
        out.str(&import.path);
        out.len(import.names.len());
        for name in &import.names {
            out.str(name);
        }
        out.u8(IMPORT_KINDS.iter().position(|&kind| kind == import.kind).unwrap_or(0) as u8);
        out.u32(import.line);
        out.u64(import.byte as u64);
        out.u64(import.end_byte as u64);
        out.str(&import.head);
    }
    out.len(symbols.packages.len());
    for package in &symbols.packages {
        out.str(package);
    }
    out.len(symbols.tokens.len());
    for &token in &symbols.tokens {
        out.u32(token);
    }
    out.bytes
}

/// Decodes what [`encode`] wrote, checking that it describes `text`: every range inside it and
/// on character boundaries, parents before their children, tokens sorted. `None` when anything
/// is off.
pub(super) fn decode(bytes: &[u8], text: &str) -> Option<FileSymbols> {
    let mut input = Reader::new(bytes);
    let boundary = |at: usize| text.is_char_boundary(at);
    let mut symbols = FileSymbols::default();
    let count = input.len(4 + 1 + 24 + 1 + 16)?;
    symbols.definitions.reserve(count);
    for at in 0..count {
        let name: Box<str> = input.str()?.into();
        let kind = *KINDS.get(input.u8()? as usize)?;
        let range = input.usize()?..input.usize()?;
        let header_start = input.usize()?;
        let body = match input.u8()? {
            0 => None,
            1 => Some(input.usize()?..input.usize()?),
            _ => return None,
        };
        let start_line = input.u32()?;
        let end_line = input.u32()?;
        let parent = match input.u32()? {
            u32::MAX => None,
            parent if (parent as usize) < at => Some(parent),
            _ => return None,
        };
        let extends_count = input.len(4)?;
        let mut extends = Vec::with_capacity(extends_count);
        for _ in 0..extends_count {
            extends.push(input.str()?.into());
        }
        let ranges_fit = header_start <= range.start
            && range.start <= range.end
            && range.end <= text.len()
            && [header_start, range.start, range.end].into_iter().all(boundary)
            && body.as_ref().is_none_or(|body| {
                body.start <= body.end
                    && body.end <= text.len()
                    && boundary(body.start)
                    && boundary(body.end)
            });
        if !ranges_fit || start_line > end_line {
            return None;
        }
        symbols.definitions.push(Definition {
            name,
            kind,
            range,
            header_start,
            body,
            start_line,
            end_line,
            parent,
            extends,
        });
    }
    let count = input.len(4 + 4 + 1 + 4 + 16 + 4)?;
    symbols.imports.reserve(count);
    for _ in 0..count {
        let path = input.str()?.to_owned();
        let names_count = input.len(4)?;
        let mut names = Vec::with_capacity(names_count);
        for _ in 0..names_count {
            names.push(input.str()?.to_owned());
        }
        let kind = *IMPORT_KINDS.get(input.u8()? as usize)?;
        let line = input.u32()?;
        let byte = input.usize()?;
        let end_byte = input.usize()?;
        let head = input.str()?.to_owned();
        if byte > end_byte || end_byte > text.len() || !boundary(byte) || !boundary(end_byte) {
            return None;
        }
        symbols.imports.push(Import { path, names, kind, line, byte, end_byte, head });
    }
    let count = input.len(4)?;
    for _ in 0..count {
        symbols.packages.push(input.str()?.to_owned());
    }
    let count = input.len(4)?;
    symbols.tokens.reserve(count);
    for _ in 0..count {
        symbols.tokens.push(input.u32()?);
    }
    if !input.is_empty() || symbols.tokens.windows(2).any(|pair| pair[0] >= pair[1]) {
        return None;
    }
    symbols.def_index = index_names(&symbols.definitions);
    Some(symbols)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "use a::b;\n\nstruct Ünïcode { x: u8 }\nimpl Ünïcode {\n    fn f(&self) {}\n}\n";

    fn symbols() -> FileSymbols {
        let registry = infill_syntax::LanguageRegistry::builtin();
        let language = registry.for_path(std::path::Path::new("x.rs")).expect("rust");
        let tree = infill_syntax::parse(&language, TEXT).expect("a tree");
        crate::extract::extract(&language, &tree, TEXT)
    }

    fn summary(symbols: &FileSymbols) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            symbols.definitions,
            symbols.imports,
            symbols.packages,
            symbols.tokens,
            symbols.def_index
        )
    }

    #[test]
    fn round_trips() {
        let symbols = symbols();
        assert!(symbols.definitions.len() >= 3 && !symbols.imports.is_empty());
        let decoded = decode(&encode(&symbols), TEXT).expect("decodes");
        assert_eq!(summary(&decoded), summary(&symbols));
    }

    #[test]
    fn every_truncation_and_a_shorter_text_are_refused() {
        let bytes = encode(&symbols());
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], TEXT).is_none(), "a record cut at {len} decoded");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, TEXT).is_none(), "trailing bytes");
        assert!(decode(&bytes, &TEXT[..TEXT.len() / 2]).is_none(), "ranges past the text");
    }

    #[test]
    fn ranges_inside_a_character_are_refused() {
        let mut symbols = symbols();
        let at = TEXT.find('Ü').unwrap() + 1;
        symbols.definitions[0].range.end = at;
        symbols.definitions[0].range.start = symbols.definitions[0].range.start.min(at);
        symbols.definitions[0].header_start = symbols.definitions[0].range.start;
        assert!(decode(&encode(&symbols), TEXT).is_none());
    }

    #[test]
    fn damaged_bytes_never_panic() {
        let bytes = encode(&symbols());
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                let _ = decode(&damaged, TEXT);
            }
        }
    }
}
