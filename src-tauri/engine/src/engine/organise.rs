//! Folders, Trash, flags and conversations: each a thin call into the store.

use super::Engine;
use crate::error::Result;
use crate::store::{Folder, FolderCount, MessageSummary, ThreadSummary, UserFolder};

impl Engine {
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
