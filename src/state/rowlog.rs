//! The row log: the rows' encoded values, appended to numbered files.
//!
//! Rows are written once, sequentially, instead of through SQLite's write-ahead log and its
//! checkpoints (which write every byte twice); the state database keeps a (file, offset)
//! per row. A record is a little-endian `u32` length and the bytes. Records are only ever
//! appended: a row that changes gets a new record, and the old one becomes garbage. A
//! crash can leave a partial record at the end of the last file; nothing refers to it,
//! because the state database commits a batch only after its records are written.
//! [`crate::state::State::compact`] copies the live records out of files that are mostly
//! garbage and deletes those files.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A file rolls over to the next one past this size.
const MAX_FILE: u64 = 1 << 30;

/// The log of one data directory.
pub struct RowLog {
    dir: PathBuf,
    current: u32,
    writer: Option<BufWriter<File>>,
    /// Bytes in the current file, written or buffered.
    len: u64,
    readers: HashMap<u32, File>,
    /// True when bytes were written since the last sync.
    dirty: bool,
}

fn file_name(n: u32) -> String {
    format!("{n:06}.log")
}

impl RowLog {
    /// Opens the log under `dir` (created when missing), appending to its last file.
    pub fn open(dir: &Path) -> Result<RowLog> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::file(dir, format!("cannot create the row log: {e}")))?;
        let mut last = 0u32;
        for e in std::fs::read_dir(dir)? {
            let name = e?.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|s| s.strip_suffix(".log"))
                .and_then(|s| s.parse::<u32>().ok())
            {
                last = last.max(n);
            }
        }
        Ok(RowLog {
            dir: dir.to_path_buf(),
            current: last.max(1),
            writer: None,
            len: 0,
            readers: HashMap::new(),
            dirty: false,
        })
    }

    fn writer(&mut self) -> Result<&mut BufWriter<File>> {
        if self.writer.is_none() {
            let path = self.dir.join(file_name(self.current));
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::file(&path, format!("cannot open the row log: {e}")))?;
            self.len = f.metadata()?.len();
            self.writer = Some(BufWriter::with_capacity(1 << 20, f));
        }
        Ok(self.writer.as_mut().expect("just opened"))
    }

    /// Appends a record; returns its file number and offset.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(u32, u64)> {
        self.writer()?;
        if self.len >= MAX_FILE {
            self.sync()?;
            self.writer = None;
            self.current += 1;
            self.writer()?;
        }
        let at = self.len;
        let n = u32::try_from(bytes.len())
            .map_err(|_| Error::Other("a row larger than 4 GiB".into()))?;
        let w = self.writer()?;
        w.write_all(&n.to_le_bytes())?;
        w.write_all(bytes)?;
        self.len += 4 + bytes.len() as u64;
        self.dirty = true;
        Ok((self.current, at))
    }

    /// Hands the buffered records to the operating system: after this, a crash of the
    /// process loses nothing appended.
    pub fn flush(&mut self) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    /// Flushes and waits for the disk.
    pub fn sync(&mut self) -> Result<()> {
        if self.dirty
            && let Some(w) = self.writer.as_mut()
        {
            w.flush()?;
            w.get_ref().sync_data()?;
            self.dirty = false;
        }
        Ok(())
    }

    /// The number of the file being appended to.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// Starts a new file for the next records (the current one, if it holds any, is then
    /// never appended to again). The file is created at once, so that other processes
    /// see it at their next [`RowLog::refresh`].
    pub fn roll(&mut self) -> Result<()> {
        self.sync()?;
        self.writer()?;
        if self.len > 0 {
            self.writer = None;
            self.current += 1;
            self.writer()?;
        }
        Ok(())
    }

    /// Moves on to the newest file if another process started one ([`RowLog::roll`], by
    /// `secop compact`): a file that is not the newest may be deleted once its rows are
    /// copied out, so nothing may be appended to it. Called at the start of every write
    /// transaction, under the database's write lock.
    pub fn refresh(&mut self) -> Result<()> {
        let newest = self.files()?.last().map_or(self.current, |f| f.0);
        if newest > self.current {
            self.sync()?;
            self.writer = None;
            self.current = newest;
        }
        Ok(())
    }

    /// The log's files: number and size in bytes, in order.
    pub fn files(&self) -> Result<Vec<(u32, u64)>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            if let Some(n) = e
                .file_name()
                .to_str()
                .and_then(|s| s.strip_suffix(".log"))
                .and_then(|s| s.parse::<u32>().ok())
            {
                out.push((n, e.metadata()?.len()));
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Deletes a file no row refers to any more (never the current one).
    pub fn remove(&mut self, file: u32) -> Result<()> {
        if file == self.current {
            return Err(Error::Other(
                "the row log's current file cannot be removed".into(),
            ));
        }
        self.readers.remove(&file);
        let path = self.dir.join(file_name(file));
        std::fs::remove_file(&path)
            .map_err(|e| Error::file(&path, format!("cannot remove: {e}")))?;
        Ok(())
    }

    /// The size of the record at a position, its length prefix included.
    pub fn record_size(&mut self, file: u32, offset: u64) -> Result<u64> {
        let mut len = [0u8; 4];
        self.reader(file)?.read_exact_at(&mut len, offset)?;
        Ok(4 + u64::from(u32::from_le_bytes(len)))
    }

    fn reader(&mut self, file: u32) -> Result<&File> {
        if file == self.current {
            // The record may still sit in the write buffer.
            self.flush()?;
        }
        if !self.readers.contains_key(&file) {
            let path = self.dir.join(file_name(file));
            let f = File::open(&path)
                .map_err(|e| Error::file(&path, format!("cannot read the row log: {e}")))?;
            self.readers.insert(file, f);
        }
        Ok(&self.readers[&file])
    }

    /// Reads the record at a position.
    pub fn read(&mut self, file: u32, offset: u64) -> Result<Vec<u8>> {
        let f = self.reader(file)?;
        let mut len = [0u8; 4];
        f.read_exact_at(&mut len, offset)?;
        let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
        f.read_exact_at(&mut buf, offset + 4)?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_across_reopen() {
        let d = tempfile::tempdir().unwrap();
        let mut log = RowLog::open(d.path()).unwrap();
        let a = log.append(b"hola").unwrap();
        let b = log.append(&vec![7u8; 10_000]).unwrap();
        assert_eq!(log.read(a.0, a.1).unwrap(), b"hola");
        assert_eq!(log.read(b.0, b.1).unwrap().len(), 10_000);
        log.sync().unwrap();
        drop(log);
        let mut log = RowLog::open(d.path()).unwrap();
        let c = log.append(b"chao").unwrap();
        assert!(c.1 > b.1);
        assert_eq!(log.read(a.0, a.1).unwrap(), b"hola");
        assert_eq!(log.read(c.0, c.1).unwrap(), b"chao");
    }
}
