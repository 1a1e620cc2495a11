//! Accounts as rows. Settings are stored as JSON so new optional fields need no migration;
//! passwords are never here (see `account::secrets`).

use rusqlite::{params, OptionalExtension};

use super::{now_unix, Store};
use crate::account::{Account, AccountSettings};
use crate::error::{Error, ErrorKind, Result};

impl Store {
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.read(|connection| {
            let mut statement =
                connection.prepare("SELECT id, settings_json FROM accounts ORDER BY id")?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            let mut accounts = Vec::new();
            for row in rows {
                let (id, json): (i64, String) = row?;
                accounts.push(Account {
                    id,
                    settings: decode(id, &json)?,
                });
            }
            Ok(accounts)
        })
    }

    pub fn account(&self, id: i64) -> Result<Account> {
        let json: Option<String> = self.read(|connection| {
            Ok(connection
                .query_row(
                    "SELECT settings_json FROM accounts WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        let json = json.ok_or_else(|| Error::not_found(format!("account {id}")))?;
        Ok(Account {
            id,
            settings: decode(id, &json)?,
        })
    }

    pub fn insert_account(&self, settings: &AccountSettings) -> Result<Account> {
        let json = encode(settings)?;
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO accounts (settings_json, created_at) VALUES (?1, ?2)",
                params![json, now_unix()],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        Ok(Account {
            id,
            settings: settings.clone(),
        })
    }

    pub fn update_account(&self, id: i64, settings: &AccountSettings) -> Result<Account> {
        let json = encode(settings)?;
        let changed = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE accounts SET settings_json = ?1 WHERE id = ?2",
                params![json, id],
            )?)
        })?;
        if changed == 0 {
            return Err(Error::not_found(format!("account {id}")));
        }
        Ok(Account {
            id,
            settings: settings.clone(),
        })
    }
}

fn encode(settings: &AccountSettings) -> Result<String> {
    serde_json::to_string(settings).map_err(|error| Error::internal(error.to_string()))
}

fn decode(id: i64, json: &str) -> Result<AccountSettings> {
    serde_json::from_str(json).map_err(|error| {
        Error::new(
            ErrorKind::Storage,
            format!("account {id}'s stored settings are unreadable"),
        )
        .with_source(error)
    })
}
