//! The composer's side of the engine: replies and forwards, drafts, attachments and address
//! completion.

use serde::{Deserialize, Serialize};

use super::{Engine, Language};
use crate::account::Account;
use crate::error::{Error, ErrorKind, ErrorReason, Result};
use crate::mime::{
    self, AttachmentData, AttachmentSource, BuiltMessage, OutgoingAttachment, OutgoingMessage,
    Response,
};
use crate::store::{DraftItem, KnownAddress, Store};

/// What the composer opens with: the account to send from and the fields filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ComposeStart {
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub account_id: i64,
    pub message: OutgoingMessage,
}

/// Address completion offers this many at most: a short list to choose from, not a directory.
const SUGGESTIONS: u32 = 8;

fn attachment_missing(attachment: &OutgoingAttachment, path: &str, error: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "the attachment “{}” can no longer be read at {path}: {error}",
            attachment.name
        ),
    )
    .with_reason(ErrorReason::AttachmentMissing)
}

/// The bytes of every attachment, read now (files as they are on disk at this moment).
fn read_attachments(store: &Store, outgoing: &OutgoingMessage) -> Result<Vec<AttachmentData>> {
    outgoing
        .attachments
        .iter()
        .map(|attachment| match &attachment.source {
            AttachmentSource::File { path } => {
                let bytes = std::fs::read(path)
                    .map_err(|error| attachment_missing(attachment, path, error))?;
                Ok(AttachmentData {
                    name: attachment.name.clone(),
                    content_type: mime_guess::from_path(&attachment.name)
                        .first_or_octet_stream()
                        .essence_str()
                        .to_owned(),
                    bytes,
                })
            }
            AttachmentSource::Message { message_id } => Ok(AttachmentData {
                name: attachment.name.clone(),
                content_type: "message/rfc822".to_owned(),
                bytes: store.raw_message(*message_id)?,
            }),
            AttachmentSource::MessagePart { message_id, part } => {
                let raw = store.raw_message(*message_id)?;
                let (_, content_type, bytes) =
                    mime::attachment_of(&raw, *part).ok_or_else(|| {
                        Error::not_found(format!(
                            "the attachment “{}” of the forwarded message",
                            attachment.name
                        ))
                    })?;
                Ok(AttachmentData {
                    name: attachment.name.clone(),
                    content_type,
                    bytes,
                })
            }
        })
        .collect()
}

impl Engine {
    /// Builds the exact bytes to send, reading the attachments now. An attachment that is gone
    /// is an error and nothing is queued: the message stays in the composer and its draft.
    pub(super) async fn build(
        &self,
        account: &Account,
        outgoing: &OutgoingMessage,
    ) -> Result<BuiltMessage> {
        let settings = account.settings.clone();
        let outgoing = outgoing.clone();
        self.blocking(move |store| {
            let attachments = read_attachments(store, &outgoing)?;
            mime::build_message(&settings, &outgoing, &attachments)
        })
        .await
    }

    /// Reply, reply all or forward: the composer's fields for answering stored message `id`,
    /// from the account it arrived in, as the identity it was sent to.
    pub async fn respond(&self, id: i64, response: Response) -> Result<ComposeStart> {
        let language = self.language().await?;
        let (account_id, raw) = self
            .blocking(move |store| {
                Ok((
                    store.message_summary(id)?.account_id,
                    store.raw_message(id)?,
                ))
            })
            .await?;
        let account = self.account(account_id).await?;
        let message = tokio::task::spawn_blocking(move || {
            let text = mime::read_message(&raw).text_body.unwrap_or_default();
            let words = match language {
                Language::En => &mime::ENGLISH,
                Language::Hi => &mime::HINDI,
            };
            mime::respond(&raw, id, &text, response, &account.settings, words)
        })
        .await?;
        Ok(ComposeStart {
            account_id,
            message,
        })
    }

    /// Saves the composer's fields as a draft (a new one when `message.draft_id` is unset or
    /// gone); returns the draft's id.
    pub async fn save_draft(&self, account_id: i64, message: OutgoingMessage) -> Result<i64> {
        let json = serde_json::to_string(&message)
            .map_err(|error| Error::internal(format!("cannot save the draft: {error}")))?;
        let to = [message.to.trim(), message.cc.trim()]
            .into_iter()
            .filter(|field| !field.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let id = self
            .blocking(move |store| {
                store.save_draft(message.draft_id, account_id, &json, &message.subject, &to)
            })
            .await?;
        self.emit(crate::events::EngineEvent::DraftsChanged);
        Ok(id)
    }

    pub async fn drafts(&self) -> Result<Vec<DraftItem>> {
        self.blocking(Store::drafts).await
    }

    /// A saved draft, back in the composer.
    pub async fn open_draft(&self, id: i64) -> Result<ComposeStart> {
        let (account_id, json) = self.blocking(move |store| store.draft(id)).await?;
        let mut message: OutgoingMessage = serde_json::from_str(&json)
            .map_err(|error| Error::internal(format!("draft {id} is unreadable: {error}")))?;
        message.draft_id = Some(id);
        Ok(ComposeStart {
            account_id,
            message,
        })
    }

    pub async fn delete_draft(&self, id: i64) -> Result<()> {
        self.blocking(move |store| store.delete_draft(id)).await?;
        self.emit(crate::events::EngineEvent::DraftsChanged);
        Ok(())
    }

    /// The largest message the account's SMTP server accepts (its SIZE), asked once per
    /// session: the composer warns before the server refuses a message for its size.
    pub async fn submission_size_limit(&self, account_id: i64) -> Result<Option<u64>> {
        if let Some(known) = self.size_limits_known(account_id) {
            return Ok(known);
        }
        let account = self.account(account_id).await?;
        let limit = self.open_submission(&account).await?.size_limit().await?;
        self.size_limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(account_id, limit);
        Ok(limit)
    }

    fn size_limits_known(&self, account_id: i64) -> Option<Option<u64>> {
        self.size_limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&account_id)
            .copied()
    }

    /// People whose address or name starts with `prefix`, for completing a recipient field.
    pub async fn address_suggestions(&self, prefix: String) -> Result<Vec<KnownAddress>> {
        self.blocking(move |store| store.address_suggestions(&prefix, SUGGESTIONS))
            .await
    }

    /// Files chosen or dropped in the composer, as attachments: name and size now, bytes when
    /// the message is sent.
    pub async fn attachments_from_files(
        &self,
        paths: Vec<String>,
    ) -> Result<Vec<OutgoingAttachment>> {
        tokio::task::spawn_blocking(move || {
            paths
                .into_iter()
                .map(|path| {
                    let metadata = std::fs::metadata(&path).map_err(|error| {
                        Error::new(
                            ErrorKind::Config,
                            format!("{path} cannot be attached: {error}"),
                        )
                        .with_reason(ErrorReason::AttachmentMissing)
                    })?;
                    if !metadata.is_file() {
                        return Err(Error::config(format!(
                            "{path} is a folder, not a file, and cannot be attached"
                        )));
                    }
                    let name = std::path::Path::new(&path)
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "attachment".to_owned());
                    Ok(OutgoingAttachment {
                        name,
                        size: metadata.len(),
                        source: AttachmentSource::File { path },
                    })
                })
                .collect()
        })
        .await?
    }
}
