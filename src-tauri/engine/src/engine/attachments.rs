//! Attachments of stored messages: their bytes for the shell, and saving one into a folder the
//! user chose (or a temporary folder the shell then opens with the default application).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::mime;

/// "name (2).pdf" … "name (999).pdf": beyond that the folder is surely not worth filling.
const MAX_NUMBERED_COPIES: u32 = 999;

impl Engine {
    /// Attachment `index` (as `MessageDetail::attachments` numbers them) of message
    /// `message_id`: its shown name, "type/subtype" and bytes.
    pub async fn attachment(
        &self,
        message_id: i64,
        index: u32,
    ) -> Result<(String, String, Vec<u8>)> {
        let raw = self.raw_message(message_id).await?;
        tokio::task::spawn_blocking(move || {
            mime::attachment_of(&raw, index).ok_or_else(|| {
                Error::not_found(format!("attachment {index} of message {message_id}"))
            })
        })
        .await?
    }

    /// Writes attachment `index` of message `message_id` into the folder `dir` under its
    /// sanitised name, never over an existing file (" (2)" and so on is added), and returns
    /// the path written. The name cannot leave `dir`: no separators, "..", absolute paths or
    /// control characters survive [`mime::safe_file_name`].
    pub async fn save_attachment(
        &self,
        message_id: i64,
        index: u32,
        dir: &Path,
    ) -> Result<PathBuf> {
        let (name, _, bytes) = self.attachment(message_id, index).await?;
        let dir = dir.to_owned();
        tokio::task::spawn_blocking(move || {
            write_new_file(&dir, &mime::safe_file_name(&name), &bytes)
        })
        .await?
    }
}

fn save_error(path: &Path, error: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!("cannot save the attachment as {}: {error}", path.display()),
    )
    .with_source(error)
}

/// Creates `file_name` (or its first free numbered variant) in `dir` and writes `bytes`.
/// `create_new` never follows a symlink planted under that name nor truncates a file that
/// appeared after the check; a half-written file is removed.
pub(crate) fn write_new_file(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<PathBuf> {
    match std::fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => {
            return Err(Error::config(format!(
                "{} is not a folder, so the attachment cannot be saved in it",
                dir.display()
            )))
        }
        Err(error) => return Err(save_error(dir, error)),
    }
    for n in 1..=MAX_NUMBERED_COPIES {
        let path = dir.join(mime::numbered_file_name(file_name, n));
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(save_error(&path, error)),
        };
        if let Err(error) = file.write_all(bytes).and_then(|()| file.sync_all()) {
            drop(file);
            // The partial file is ours (create_new made it); losing it is the point.
            let _ = std::fs::remove_file(&path);
            return Err(save_error(&path, error));
        }
        return Ok(path);
    }
    Err(Error::new(
        ErrorKind::Storage,
        format!(
            "{} already holds {MAX_NUMBERED_COPIES} files named like {file_name}",
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_never_overwrites_and_numbers_copies() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_new_file(dir.path(), "a.pdf", b"1").unwrap();
        let second = write_new_file(dir.path(), "a.pdf", b"2").unwrap();
        assert_eq!(first, dir.path().join("a.pdf"));
        assert_eq!(second, dir.path().join("a (2).pdf"));
        assert_eq!(std::fs::read(first).unwrap(), b"1");
        assert_eq!(std::fs::read(second).unwrap(), b"2");
    }

    #[test]
    fn hostile_names_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "../../escape.txt",
            "/etc/passwd",
            "..",
            "CON",
            "a\r\nb",
            "sub/dir/x",
        ] {
            let path = write_new_file(dir.path(), &mime::safe_file_name(name), b"x").unwrap();
            assert_eq!(path.parent(), Some(dir.path()), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::os::unix::fs::symlink(&target, dir.path().join("a.txt")).unwrap();
        let path = write_new_file(dir.path(), "a.txt", b"x").unwrap();
        assert_eq!(path, dir.path().join("a (2).txt"));
        assert!(!target.exists());
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"").unwrap();
        let error = write_new_file(&file, "a", b"x").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
    }
}
