//! A small CSV reader (RFC 4180 quoting: `"a, b"`, `""` inside quotes, quoted line breaks) that
//! reports malformed rows with their line numbers instead of giving up.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// A malformed row: the line it starts on (1-based, the header is line 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Opens a file, decompressing it when it is gzip (by magic bytes).
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    let f = File::open(path)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, f)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
    }
}

/// Reads the header, then calls `row(line, header, fields)` for every well-formed row. Returns the
/// header and the malformed rows (wrong field count, unterminated or stray quote), which are
/// skipped.
pub fn for_each_row(
    mut input: impl BufRead,
    mut row: impl FnMut(usize, &[String], &[String]),
) -> io::Result<(Vec<String>, Vec<CsvError>)> {
    let mut errors = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut fields: Vec<String> = Vec::new();
    let mut line_buf = String::new();
    let mut line_no = 0usize;
    loop {
        line_buf.clear();
        if input.read_line(&mut line_buf)? == 0 {
            break;
        }
        line_no += 1;
        let start = line_no;
        // a quoted field may span lines: keep reading while quotes are unbalanced
        while line_buf.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
            let mut more = String::new();
            if input.read_line(&mut more)? == 0 {
                break;
            }
            line_no += 1;
            line_buf.push_str(&more);
        }
        let text = line_buf.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        match split_row(text, &mut fields) {
            Err(message) => errors.push(CsvError {
                line: start,
                message,
            }),
            Ok(()) => match &header {
                None => header = Some(fields.iter().map(|f| f.trim().to_string()).collect()),
                Some(h) if h.len() != fields.len() => errors.push(CsvError {
                    line: start,
                    message: format!("{} fields, the header has {}", fields.len(), h.len()),
                }),
                Some(h) => row(start, h, &fields),
            },
        }
    }
    Ok((header.unwrap_or_default(), errors))
}

/// Splits one (possibly multi-line) row into `out`.
pub fn split_row(text: &str, out: &mut Vec<String>) -> Result<(), String> {
    out.clear();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut at_start = true;
    loop {
        if at_start && chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    out.push(std::mem::take(&mut field));
                    return Ok(());
                }
                Some(',') => {
                    out.push(std::mem::take(&mut field));
                    at_start = true;
                    continue;
                }
                Some(c) => return Err(format!("unexpected '{c}' after a closing quote")),
            }
        }
        match chars.next() {
            None => {
                out.push(std::mem::take(&mut field));
                return Ok(());
            }
            Some(',') => {
                out.push(std::mem::take(&mut field));
                at_start = true;
            }
            Some('"') => return Err("quote inside an unquoted field".into()),
            Some(c) => {
                field.push(c);
                at_start = false;
            }
        }
    }
}
