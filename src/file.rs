//! Reading the files a build is given (notebooks, data files, `_site.yaml`): regular files
//! only, and never more bytes than a limit, whatever the file's size said when it was looked at.
//!
//! A pipe would hang the build and a device (`/dev/zero`) reports a size of 0 and never ends,
//! so anything but a regular file (after following links) is refused before it is opened,
//! and checked again once open, in case the path was replaced in between.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum FileError {
    /// Missing or unreadable.
    Io(std::io::Error),
    /// Something other than a regular file: what it is, e.g. "a named pipe (FIFO)".
    NotRegular(&'static str),
    /// Over the limit: its size, or `None` when it grew past the limit while being read.
    TooLarge(Option<u64>),
}

impl FileError {
    /// The end of a sentence that starts with the file's name, for `NotRegular`.
    pub fn not_regular(what: &str) -> String {
        format!("is not a regular file: it is {what}")
    }
}

/// The start of "… the limit of N bytes" for `TooLarge`: "is 5 bytes, over", or how it grew.
pub fn over(size: Option<u64>) -> String {
    match size {
        Some(n) => format!("is {} bytes, over", crate::format::num(n as f64)),
        None => "grew while it was read, past".to_string(),
    }
}

/// The bytes of the regular file at `path` (links followed), at most `limit` of them.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let meta = std::fs::metadata(path).map_err(FileError::Io)?;
    regular(&meta)?;
    if meta.len() > limit {
        return Err(FileError::TooLarge(Some(meta.len())));
    }
    let file = File::open(path).map_err(FileError::Io)?;
    regular(&file.metadata().map_err(FileError::Io)?)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(FileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge(None));
    }
    Ok(bytes)
}

fn regular(meta: &Metadata) -> Result<(), FileError> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(FileError::NotRegular("a folder"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Err(FileError::NotRegular("a named pipe (FIFO)"));
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Err(FileError::NotRegular("a device"));
        }
        if kind.is_socket() {
            return Err(FileError::NotRegular("a socket"));
        }
    }
    Err(FileError::NotRegular("not a file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read(&path, 5).unwrap(), b"12345");
        assert!(matches!(read(&path, 4), Err(FileError::TooLarge(Some(5)))));
        assert!(matches!(read(dir.path(), 100), Err(FileError::NotRegular("a folder"))));
        assert!(matches!(read(&dir.path().join("none"), 100), Err(FileError::Io(_))));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_longer_than_its_size_said_is_cut_at_the_limit() {
        // Files under /proc report a size of 0 and have more to read, like a file that grows
        // between the size check and the read.
        assert!(matches!(read(Path::new("/proc/self/status"), 10), Err(FileError::TooLarge(None))));
        assert!(read(Path::new("/proc/self/status"), 1 << 20).is_ok_and(|b| b.starts_with(b"Name:")));
    }
}
