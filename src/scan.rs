//! The leak scanner's finding half: strings of this vault's secret format in files, folders
//! and streams. Walking respects `.gitignore` (the `ignore` crate, as ripgrep does) and skips
//! binary files; matching needs a whole token with one of the vault's prefixes and a valid
//! checksum, so `xkw_…` or a key with one changed character is never reported. Looking a found
//! secret up (and marking its key exposed) is the vault's job.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::vault::Secret;
use crate::vault::{CHECKSUM_CHARS, RANDOM_CHARS};

const BODY: usize = RANDOM_CHARS + CHECKSUM_CHARS;
/// Bytes looked at to tell a binary file (a NUL byte in them), as ripgrep does.
const BINARY_PROBE: usize = 8 * 1024;
/// Text is read in windows of this size, so memory does not grow with a file's size.
const CHUNK: usize = 1 << 20;
/// Files larger than this are skipped unless asked otherwise (`--max-file-size`).
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// A secret found at a place.
#[derive(Debug)]
pub struct Hit {
    /// `path` or `-` for standard input.
    pub source: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters (Unicode code points) from the line's start.
    pub column: usize,
    pub secret: Secret,
}

impl Hit {
    /// `path:line`, how the place is shown and remembered.
    pub fn place(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }
}

/// What to walk.
#[derive(Clone, Copy, Debug)]
pub struct WalkOptions {
    /// Also hidden files and folders.
    pub hidden: bool,
    /// Ignore `.gitignore`, `.ignore` and git's exclude files.
    pub no_ignore: bool,
    /// Larger files are not read (counted in [`Scanned::skipped`]).
    pub max_file_size: u64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            hidden: false,
            no_ignore: false,
            max_file_size: MAX_FILE_SIZE,
        }
    }
}

/// Lines and characters before a window of a stream, so places stay right across windows.
#[derive(Default)]
struct Before {
    /// Newlines before the window's first byte.
    lines: usize,
    /// Characters between the last of them and the window's first byte.
    column: usize,
}

impl Before {
    /// Moves past `dropped`, the bytes that leave the window.
    fn advance(&mut self, dropped: &[u8]) {
        self.lines += memchr::memchr_iter(b'\n', dropped).count();
        match memchr::memrchr(b'\n', dropped) {
            Some(nl) => self.column = chars(&dropped[nl + 1..]),
            None => self.column += chars(dropped),
        }
    }
}

/// UTF-8 characters in `bytes` (bytes that do not continue one); invalid bytes count as one.
fn chars(bytes: &[u8]) -> usize {
    // The common case at std's speed: a window of ASCII text is one character per byte.
    if bytes.is_ascii() {
        return bytes.len();
    }
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// What one file was to a walk.
enum FileScan {
    Text(Vec<Hit>, u64),
    Binary,
    TooLarge,
}

/// A walk's progress, shared with whoever watches it (the window's progress bar), and its
/// cancel switch.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files read so far (text and binary).
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    cancelled: AtomicBool,
}

impl Progress {
    /// Asks the walk to stop; files already being read are finished.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// How many files a walk of `root` would read (the total of a progress bar). Stops early,
/// returning what it counted, when `progress` is cancelled.
pub fn count_files(root: &Path, options: WalkOptions, progress: &Progress) -> u64 {
    let mut n = 0;
    for entry in walker(root, options).build() {
        if progress.is_cancelled() {
            break;
        }
        if entry.is_ok_and(|e| e.file_type().is_some_and(|t| t.is_file())) {
            n += 1;
        }
    }
    n
}

fn walker(root: &Path, options: WalkOptions) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(!options.hidden)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .parents(!options.no_ignore)
        .require_git(false);
    builder
}

/// Finds secrets with any of a set of prefixes.
pub struct Matcher {
    prefixes: Vec<Vec<u8>>,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Matcher {
    pub fn new(prefixes: &[String]) -> Matcher {
        let mut prefixes: Vec<Vec<u8>> = prefixes.iter().map(|p| p.as_bytes().to_vec()).collect();
        // Longest first: `acme_eu` wins over `eu` for the same underscore.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        prefixes.dedup();
        Matcher { prefixes }
    }

    /// Calls `found(line, column, secret)` for every well-formed secret in `bytes`, in order.
    pub fn find(&self, bytes: &[u8], mut found: impl FnMut(usize, usize, Secret)) {
        self.find_in(bytes, 0, true, &Before::default(), &mut found);
    }

    /// The longest prefix, and the byte before it that says whether a token starts there.
    fn lead(&self) -> usize {
        self.prefixes.first().map_or(0, Vec::len) + 1
    }

    /// Finds the secrets of one window whose underscore is at `from` or after. Unless `last`,
    /// an underscore too near the end to see what follows its token is left for the next
    /// window: returns where those start.
    fn find_in(
        &self,
        bytes: &[u8],
        from: usize,
        last: bool,
        before: &Before,
        found: &mut impl FnMut(usize, usize, Secret),
    ) -> usize {
        let decided = if last {
            bytes.len()
        } else {
            bytes.len().saturating_sub(BODY + 1)
        };
        let mut line = before.lines + 1;
        let mut counted = 0;
        let tail = bytes.get(from..decided).unwrap_or_default();
        for u in memchr::memchr_iter(b'_', tail).map(|u| u + from) {
            let Some(body) = bytes.get(u + 1..u + 1 + BODY) else {
                break;
            };
            if !body.iter().all(u8::is_ascii_alphanumeric)
                || bytes.get(u + 1 + BODY).is_some_and(|b| is_word(*b))
            {
                continue;
            }
            let Some(start) = self.prefixes.iter().find_map(|p| {
                let start = u.checked_sub(p.len())?;
                let boundary = start == 0 || !is_word(bytes[start - 1]);
                (boundary && &bytes[start..u] == p.as_slice()).then_some(start)
            }) else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(&bytes[start..u + 1 + BODY]) else {
                continue;
            };
            if let Ok(secret) = Secret::parse(text) {
                line += memchr::memchr_iter(b'\n', &bytes[counted..start]).count();
                counted = start;
                let column = match memchr::memrchr(b'\n', &bytes[..start]) {
                    Some(nl) => chars(&bytes[nl + 1..start]),
                    None => before.column + chars(&bytes[..start]),
                } + 1;
                found(line, column, secret);
            }
        }
        // A window shorter than a token decides nothing new.
        decided.max(from)
    }

    /// Reads `reader` through in windows of `chunk` bytes, each overlapping the last by a
    /// token, so memory stays at about `chunk` and a secret across two reads is still found.
    /// With `probe`, a NUL byte in the first 8 KiB makes it binary: `None`, nothing found.
    /// Returns the bytes read.
    fn find_stream(
        &self,
        mut reader: impl Read,
        chunk: usize,
        probe: bool,
        mut found: impl FnMut(usize, usize, Secret),
    ) -> std::io::Result<Option<u64>> {
        let mut window = Vec::with_capacity(chunk + self.lead() + BODY + 1);
        let (mut before, mut from, mut total) = (Before::default(), 0, 0u64);
        let mut first = true;
        loop {
            let want = if first {
                chunk.max(BINARY_PROBE)
            } else {
                chunk
            };
            let read = (&mut reader).take(want as u64).read_to_end(&mut window)?;
            total += read as u64;
            if first
                && probe
                && memchr::memchr(0, &window[..window.len().min(BINARY_PROBE)]).is_some()
            {
                return Ok(None);
            }
            first = false;
            let last = read < want;
            let decided = self.find_in(&window, from, last, &before, &mut found);
            if last {
                return Ok(Some(total));
            }
            // Keep the undecided tail, with the prefix and boundary byte before it.
            let keep = decided.saturating_sub(self.lead());
            before.advance(&window[..keep]);
            window.drain(..keep);
            from = decided - keep;
        }
    }

    /// Scans one stream (standard input), in windows.
    pub fn scan_reader(&self, source: &str, reader: impl Read) -> std::io::Result<Vec<Hit>> {
        let mut hits = Vec::new();
        self.find_stream(reader, CHUNK, false, |line, column, secret| {
            hits.push(Hit {
                source: source.to_owned(),
                line,
                column,
                secret,
            })
        })?;
        Ok(hits)
    }

    /// Walks `root` (a file or a folder) on every core; returns the hits sorted by place and
    /// the files read. Unreadable files are skipped and counted in `errors`.
    pub fn scan_path(&self, root: &Path, options: WalkOptions) -> Scanned {
        self.scan_path_with(root, options, &Progress::default())
    }

    /// [`Matcher::scan_path`], counting into `progress` and stopping when it is cancelled
    /// (`Scanned::cancelled` then says so and the hits are those found before).
    pub fn scan_path_with(
        &self,
        root: &Path,
        options: WalkOptions,
        progress: &Progress,
    ) -> Scanned {
        let out = Mutex::new(Scanned::default());
        let walker = walker(root, options)
            .threads(std::thread::available_parallelism().map_or(2, usize::from))
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                if progress.is_cancelled() {
                    return ignore::WalkState::Quit;
                }
                let Ok(entry) = entry else {
                    out.lock().map(|mut o| o.errors += 1).ok();
                    return ignore::WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let scanned = self.scan_file(entry.path(), options.max_file_size);
                progress.files.fetch_add(1, Ordering::Relaxed);
                if let Ok(FileScan::Text(_, bytes)) = &scanned {
                    progress.bytes.fetch_add(*bytes, Ordering::Relaxed);
                }
                if let Ok(mut o) = out.lock() {
                    match scanned {
                        Ok(FileScan::Text(hits, bytes)) => {
                            o.files += 1;
                            o.bytes += bytes;
                            o.hits.extend(hits);
                        }
                        Ok(FileScan::Binary) => o.binary += 1,
                        Ok(FileScan::TooLarge) => o.skipped += 1,
                        Err(_) => o.errors += 1,
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let mut scanned = out.into_inner().unwrap_or_default();
        scanned.cancelled = progress.is_cancelled();
        scanned
            .hits
            .sort_by(|a, b| (&a.source, a.line, a.column).cmp(&(&b.source, b.line, b.column)));
        scanned
    }

    /// Opens `path` as an outside file (no link, FIFO or device) and reads it in windows.
    fn scan_file(&self, path: &Path, max_file_size: u64) -> crate::vault::Result<FileScan> {
        let (file, len) = crate::vault::outside::open(path)?;
        if len > max_file_size {
            return Ok(FileScan::TooLarge);
        }
        let source = path.display().to_string();
        let mut hits = Vec::new();
        let read = self
            .find_stream(file, CHUNK, true, |line, column, secret| {
                hits.push(Hit {
                    source: source.clone(),
                    line,
                    column,
                    secret,
                })
            })
            .map_err(|e| crate::vault::Error::io(path, e))?;
        Ok(match read {
            Some(bytes) => FileScan::Text(hits, bytes),
            None => FileScan::Binary,
        })
    }

    /// A rule for teams that run gitleaks or trufflehog already: the same shape (prefixes,
    /// underscore, 49 base62 characters, word boundaries). Checksums are not checked by them.
    pub fn rule(&self, tool: &str) -> Option<String> {
        let mut names: Vec<String> = self
            .prefixes
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        names.sort();
        let alternatives = names.join("|");
        let regex = format!(r"\b(?:{alternatives})_[0-9A-Za-z]{{{BODY}}}\b");
        match tool {
            "gitleaks" => Some(format!(
                "[[rules]]\nid = \"keyward-api-key\"\ndescription = \"Keyward API key\"\nregex = '''{regex}'''\nkeywords = [{}]\ntags = [\"key\", \"keyward\"]\n",
                names
                    .iter()
                    .map(|n| format!("\"{n}_\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            "trufflehog" => Some(format!(
                "detectors:\n  - name: keyward-api-key\n    keywords:\n{}    regex:\n      key: '{regex}'\n",
                names
                    .iter()
                    .map(|n| format!("      - {n}_\n"))
                    .collect::<String>()
            )),
            _ => None,
        }
    }
}

/// What a walk found and read.
#[derive(Debug, Default)]
pub struct Scanned {
    pub hits: Vec<Hit>,
    pub files: u64,
    pub bytes: u64,
    pub binary: u64,
    /// Files over the size limit, not read.
    pub skipped: u64,
    pub errors: u64,
    /// The walk was cancelled before it read everything.
    pub cancelled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(m: &Matcher, text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        m.find(text.as_bytes(), |line, _, s| {
            out.push((line, s.expose().to_owned()))
        });
        out
    }

    #[test]
    fn whole_tokens_with_a_known_prefix_and_a_valid_checksum_only() {
        let m = Matcher::new(&["kw".into(), "acme_eu".into()]);
        let a = Secret::generate("kw").expose().to_owned();
        let b = Secret::generate("acme_eu").expose().to_owned();
        let text = format!("x = \"{a}\"\r\nnothing here\ntoken={b};\nx{a}\n{a}9\n");
        assert_eq!(found(&m, &text), vec![(1, a.clone()), (3, b.clone())]);
        let mut typo = a.clone().into_bytes();
        let last = typo.len() - 10;
        typo[last] = if typo[last] == b'A' { b'B' } else { b'A' };
        let typo = String::from_utf8(typo).expect("ascii");
        assert!(found(&m, &typo).is_empty(), "one changed character");
        assert!(found(&Matcher::new(&["other".into()]), &a).is_empty());
        assert!(found(&m, &a[..a.len() - 1]).is_empty(), "truncated");
    }

    #[test]
    fn windows_of_any_size_find_what_one_read_finds_with_the_same_places() {
        let m = Matcher::new(&["kw".into(), "acme_eu".into()]);
        let a = Secret::generate("kw").expose().to_owned();
        let b = Secret::generate("acme_eu").expose().to_owned();
        // Tokens at a window's start and end, after multi-byte characters, glued to words.
        let text = format!("{a}\né {b} x{a}\n\n  ü{a}_x\n{b}\r\nzz {a}{b} x{a}\n{b}");
        let mut whole = Vec::new();
        m.find(text.as_bytes(), |l, c, s| {
            whole.push((l, c, s.expose().to_owned()))
        });
        let expected = vec![
            (1, 1, a.clone()),
            (2, 3, b.clone()),
            (5, 1, b.clone()),
            (7, 1, b.clone()),
        ];
        assert_eq!(whole, expected);
        for chunk in 1..=text.len() + 1 {
            let mut windowed = Vec::new();
            let read = m
                .find_stream(text.as_bytes(), chunk, false, |l, c, s| {
                    windowed.push((l, c, s.expose().to_owned()))
                })
                .expect("reads");
            assert_eq!(read, Some(text.len() as u64));
            assert_eq!(windowed, expected, "chunk of {chunk} bytes");
        }
        let binary = [b"x".repeat(100), vec![0], a.clone().into_bytes()].concat();
        let r = m.find_stream(&binary[..], 16, true, |_, _, _| panic!("binary"));
        assert_eq!(r.expect("reads"), None);
    }
}
