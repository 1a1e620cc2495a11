/*!
# Sasl

SASL (RFC 4422) for POP3's AUTH command (RFC 5034). PLAIN, LOGIN, CRAM-MD5 and XOAUTH2 are
provided; other
mechanisms implement [`Authenticator`]:

```rust,ignore
pub struct MyAuthenticator {
    username: String,
    secret_token: String,
}

#[async_trait]
impl Authenticator for MyAuthenticator {
    fn mechanism(&self) -> &str {
        "SUPER_COOL_MECHANISM"
    }

    async fn handle<'a, S: AsyncRead + AsyncWrite + Unpin + Send>(
        &self,
        mut communicator: Communicator<'a, S>,
    ) -> Result<()> {
        let challenge = communicator.next_challenge().await?;
        let response = mechanism_lib::handle_challenge(challenge)?;
        communicator.send(response).await?;
        Ok(())
    }
}
```
*/

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{
    command::Command,
    error::{err, ErrorKind, Result},
    request::Request,
    response::{types::message::Text, Response},
    stream::PopStream,
};

/// PLAIN (RFC 4616). Sends no initial response: `AUTH PLAIN`, then the credentials after the
/// server's empty "+ " challenge, which every RFC 1734/5034 server accepts.
pub struct PlainAuthenticator {
    username: String,
    password: String,
}

#[async_trait]
impl Authenticator for PlainAuthenticator {
    fn mechanism(&self) -> &str {
        "PLAIN"
    }

    async fn handle<'a, S: AsyncRead + AsyncWrite + Unpin + Send>(
        &self,
        mut communicator: Communicator<'a, S>,
    ) -> Result<()> {
        communicator.next_challenge().await?;
        communicator
            .send(format!("\x00{}\x00{}", self.username, self.password))
            .await
    }
}

impl PlainAuthenticator {
    pub fn new<U: Into<String>, P: Into<String>>(username: U, password: P) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// LOGIN (draft-murchison-sasl-login): the server asks for the user name, then the password,
/// each in its own challenge. Older servers offer it where PLAIN is missing.
pub struct LoginAuthenticator {
    username: String,
    password: String,
}

#[async_trait]
impl Authenticator for LoginAuthenticator {
    fn mechanism(&self) -> &str {
        "LOGIN"
    }

    async fn handle<'a, S: AsyncRead + AsyncWrite + Unpin + Send>(
        &self,
        mut communicator: Communicator<'a, S>,
    ) -> Result<()> {
        communicator.next_challenge().await?;
        communicator.send(self.username.clone()).await?;
        communicator.next_challenge().await?;
        communicator.send(self.password.clone()).await
    }
}

impl LoginAuthenticator {
    pub fn new<U: Into<String>, P: Into<String>>(username: U, password: P) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// CRAM-MD5 (RFC 2195): the server sends a one-time challenge, the client answers with the
/// user name and HMAC-MD5(password, challenge) in hex, so the password never crosses the wire,
/// not even inside TLS.
pub struct CramMd5Authenticator {
    username: String,
    password: String,
}

#[async_trait]
impl Authenticator for CramMd5Authenticator {
    fn mechanism(&self) -> &str {
        "CRAM-MD5"
    }

    async fn handle<'a, S: AsyncRead + AsyncWrite + Unpin + Send>(
        &self,
        mut communicator: Communicator<'a, S>,
    ) -> Result<()> {
        let challenge = communicator.next_challenge().await?;
        communicator
            .send(cram_md5_response(
                &self.username,
                &self.password,
                challenge.as_ref(),
            ))
            .await
    }
}

impl CramMd5Authenticator {
    pub fn new<U: Into<String>, P: Into<String>>(username: U, password: P) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// "user hex(HMAC-MD5(password, challenge))" (RFC 2195 §2, HMAC per RFC 2104).
pub fn cram_md5_response(username: &str, password: &str, challenge: &[u8]) -> String {
    use md5::{Digest, Md5};
    const BLOCK: usize = 64;
    let mut key = [0u8; BLOCK];
    if password.len() > BLOCK {
        key[..16].copy_from_slice(&Md5::digest(password.as_bytes()));
    } else {
        key[..password.len()].copy_from_slice(password.as_bytes());
    }
    let inner_pad: Vec<u8> = key.iter().map(|byte| byte ^ 0x36).collect();
    let outer_pad: Vec<u8> = key.iter().map(|byte| byte ^ 0x5c).collect();
    let inner = Md5::new()
        .chain_update(&inner_pad)
        .chain_update(challenge)
        .finalize();
    let outer = Md5::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize();
    let hex: String = outer.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{username} {hex}")
}

/// A simple mechanism to authenticate via OAuth2
pub struct OAuth2Authenticator {
    user: String,
    access_token: String,
}

impl OAuth2Authenticator {
    pub fn new<U: Into<String>, A: Into<String>>(user: U, access_token: A) -> Self {
        Self {
            user: user.into(),
            access_token: access_token.into(),
        }
    }
}

#[async_trait]
impl Authenticator for OAuth2Authenticator {
    fn mechanism(&self) -> &str {
        "XOAUTH2"
    }

    fn auth(&self) -> Option<String> {
        let secret = format!(
            "user={}\x01auth=Bearer {}\x01\x01",
            self.user, self.access_token
        );

        Some(secret)
    }
}

#[async_trait]
pub trait Authenticator {
    /// The name of the mechanism, e.g: "XOAUTH2" or "KERBEROS_4".
    fn mechanism(&self) -> &str;

    /// If provided, the return string will be added as an argument to the initial "AUTH" command.
    ///
    /// Will automatically be base64 encoded.
    fn auth(&self) -> Option<String> {
        None
    }

    /// Handle a handshake conversation between the server and the client.
    ///
    /// The [Communicator] allows you to send and receive data needed for authentication
    async fn handle<'a, S: AsyncRead + AsyncWrite + Unpin + Send>(
        &self,
        _communicator: Communicator<'a, S>,
    ) -> Result<()> {
        Ok(())
    }
}

pub struct Communicator<'a, S: AsyncRead + AsyncWrite + Unpin + Send> {
    stream: &'a mut PopStream<S>,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Send> Communicator<'a, S> {
    pub fn new(stream: &'a mut PopStream<S>) -> Self {
        Self { stream }
    }

    /// Sends one client response, BASE64-encoded (RFC 5034 §4).
    pub async fn send<A: Into<String>>(&mut self, secret: A) -> Result<()> {
        self.stream
            .encode(&Command::Base64(secret.into()).into())
            .await
    }

    /// Reads the server's next "+ " challenge, decoded.
    pub async fn next_challenge(&mut self) -> Result<Text> {
        let request = Request::from(Command::Base64(String::new()));
        match self.stream.read_response(&request).await? {
            Response::Challenge(challenge) => Ok(challenge),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not get a challenge as a response"
            ),
        }
    }

    /// Abandons the exchange with "*"; the server then answers `-ERR`.
    pub async fn stop(&mut self) -> Result<()> {
        self.stream.encode(&Command::AuthCancel.into()).await
    }
}

#[cfg(test)]
mod tests {
    use super::cram_md5_response;

    /// RFC 2195 §2's own example.
    #[test]
    fn cram_md5_matches_the_rfc_example() {
        assert_eq!(
            cram_md5_response(
                "tim",
                "tanstaaftanstaaf",
                b"<1896.697170952@postoffice.reston.mci.net>"
            ),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    /// A password longer than the HMAC block is hashed first (RFC 2104 §2).
    #[test]
    fn long_passwords_are_hashed_into_the_key() {
        let long = "p".repeat(100);
        let response = cram_md5_response("u", &long, b"<1@x>");
        assert_eq!(response.len(), "u ".len() + 32);
        assert_ne!(response, cram_md5_response("u", &long[..64], b"<1@x>"));
    }
}
