//! Folders, Trash, flags and conversations: each a thin call into the store.

use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::Result;
use crate::store::{Folder, FolderCount, MessageSummary, ThreadSummary, UserFolder};

/// How the user likes to read: a conversation list or every message, plain text or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct ViewSettings {
    pub threaded_list: bool,
    /// Show the plain-text part of mail that has both (and HTML mail converted to text).
    pub prefer_plain_text: bool,
}

const VIEW_SETTINGS_KEY: &str = "view";

impl Engine {
    pub async fn view_settings(&self) -> Result<ViewSettings> {
        self.json_setting(VIEW_SETTINGS_KEY).await
    }

    pub async fn set_view_settings(&self, settings: ViewSettings) -> Result<()> {
        self.set_json_setting(VIEW_SETTINGS_KEY, &settings).await
    }

    /// "Always load remote content from this sender" (or no longer).
    pub async fn set_remote_content_allowed(&self, address: String, allowed: bool) -> Result<()> {
        self.blocking(move |store| store.set_remote_content_allowed(&address, allowed))
            .await
    }

    pub async fn folders(&self) -> Result<Vec<UserFolder>> {
        self.blocking(|store| store.folders()).await
    }

    pub async fn create_folder(&self, name: String) -> Result<UserFolder> {
        self.blocking(move |store| store.create_folder(&name)).await
    }

    pub async fn rename_folder(&self, id: i64, name: String) -> Result<UserFolder> {
        self.blocking(move |store| store.rename_folder(id, &name))
            .await
    }

    /// The folder goes; its messages go to Trash.
    pub async fn delete_folder(&self, id: i64) -> Result<()> {
        self.blocking(move |store| store.delete_folder(id)).await
    }

    pub async fn move_messages(&self, ids: Vec<i64>, to: Folder) -> Result<()> {
        self.blocking(move |store| store.move_messages(&ids, to))
            .await
    }

    pub async fn copy_messages(&self, ids: Vec<i64>, to: Folder) -> Result<Vec<i64>> {
        let copies = self
            .blocking(move |store| store.copy_messages(&ids, to))
            .await?;
        self.indexer.kick();
        Ok(copies)
    }

    /// To Trash; from Trash, for good.
    pub async fn delete_messages(&self, ids: Vec<i64>) -> Result<()> {
        self.blocking(move |store| store.delete_messages(&ids))
            .await
    }

    pub async fn empty_trash(&self) -> Result<usize> {
        self.blocking(|store| store.empty_trash()).await
    }

    pub async fn set_flags(
        &self,
        ids: Vec<i64>,
        read: Option<bool>,
        starred: Option<bool>,
    ) -> Result<()> {
        self.blocking(move |store| store.set_flags(&ids, read, starred))
            .await
    }

    pub async fn folder_counts(&self) -> Result<Vec<FolderCount>> {
        self.blocking(|store| store.folder_counts()).await
    }

    pub async fn list_threads(
        &self,
        folder: Folder,
        account_id: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<ThreadSummary>> {
        self.blocking(move |store| store.list_threads(folder, account_id, offset, limit))
            .await
    }

    pub async fn conversation(&self, id: i64) -> Result<Vec<MessageSummary>> {
        self.blocking(move |store| store.conversation(id)).await
    }
}
