//! The POP3 client: one method per command of RFC 1939 (and CAPA, RFC 2449; STLS, RFC 2595;
//! AUTH, RFC 5034).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{
    command::Command::{self, *},
    error::{err, ErrorKind, Result},
    request::Request,
    response::{
        capability::{Capabilities, Capability},
        list::ListResponse,
        stat::Stat,
        types::message::Text,
        uidl::UidlResponse,
        Response,
    },
    stream::PopStream,
};

/// RFC 1939 §3: AUTHORIZATION, TRANSACTION, UPDATE; `None` once the connection is gone.
#[derive(Eq, PartialEq, Debug)]
pub enum ClientState {
    Authentication,
    Transaction,
    Update,
    None,
}

pub struct Client<S: AsyncRead + AsyncWrite + Unpin + Send> {
    pub(crate) inner: Option<PopStream<S>>,
    pub(crate) capabilities: Capabilities,
    pub(crate) marked_as_del: HashSet<usize>,
    pub(crate) greeting: Option<Text>,
    pub(crate) state: ClientState,
    /// Message numbers of pipelined RETRs whose replies are still due, oldest first.
    pub(crate) retrs_due: VecDeque<usize>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    pub(crate) fn from_stream(stream: PopStream<S>, greeting: Option<Text>) -> Self {
        Client {
            inner: Some(stream),
            capabilities: Vec::new(),
            marked_as_del: HashSet::new(),
            greeting,
            state: ClientState::Authentication,
            retrs_due: VecDeque::new(),
        }
    }

    /// Check if the client is in the correct state and return a mutable reference to the tcp connection.
    fn inner_mut(&mut self) -> Result<&mut PopStream<S>> {
        match self.inner.as_mut() {
            Some(socket) => {
                if self.state == ClientState::Transaction
                    || self.state == ClientState::Authentication
                {
                    Ok(socket)
                } else {
                    err!(
                        ErrorKind::ShouldNotBeConnected,
                        "There is a connection, but our state indicates that we should not be connected",
                    )
                }
            }
            None => err!(ErrorKind::NotConnected, "Not connected to any server"),
        }
    }

    pub fn inner(&self) -> &Option<PopStream<S>> {
        &self.inner
    }

    pub fn into_inner(self) -> Option<PopStream<S>> {
        self.inner
    }

    /// Drops the connection after any failure but `-ERR`: its state is unknown (upstream bug 5).
    fn settle<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(error) = &result {
            if !error.is_server_error() {
                self.inner = None;
                self.state = ClientState::None;
                self.retrs_due.clear();
            }
        }
        result
    }

    fn check_client_state(&self, state: ClientState) -> Result<()> {
        if self.state != state {
            err!(
                ErrorKind::IncorrectStateForCommand,
                "The connection is not the right state to use this command",
            )
        } else {
            Ok(())
        }
    }

    /// The current state (RFC 1939 §3).
    pub fn get_state(&self) -> &ClientState {
        &self.state
    }

    /// When the last communication with the server happened.
    pub fn last_activity(&self) -> Option<Instant> {
        Some(self.inner.as_ref()?.last_activity())
    }

    /// The greeting that the POP server sent when the connection opened.
    pub fn greeting(&self) -> Option<&Text> {
        self.greeting.as_ref()
    }

    /// Sends a command and returns the server's whole reply. `-ERR` is
    /// [`ErrorKind::ServerError`]; any other error closes the connection.
    pub async fn send_request<R: Into<Request>>(&mut self, request: R) -> Result<Response> {
        self.check_no_replies_due()?;
        let request = request.into();
        let result = self.exchange(&request).await;
        self.settle(result)
    }

    /// A command's reply would arrive after the pipelined RETRs' and be taken for one of
    /// them, so nothing else is sent until those are read. A misuse, not a broken connection:
    /// the session stays as it was.
    fn check_no_replies_due(&self) -> Result<()> {
        if !self.retrs_due.is_empty() {
            err!(
                ErrorKind::IncorrectStateForCommand,
                "{} pipelined RETR replies must be read before another command",
                self.retrs_due.len()
            );
        }
        Ok(())
    }

    async fn exchange(&mut self, request: &Request) -> Result<Response> {
        let stream = self.inner_mut()?;
        stream.encode(request).await?;
        stream.read_response(request).await
    }

    pub(crate) async fn read_greeting(&mut self) -> Result<Text> {
        let result = match self.inner.as_mut() {
            Some(stream) => stream.read_response(&Greet.into()).await,
            None => err!(ErrorKind::NotConnected, "Not connected to any server"),
        };
        match self.settle(result)? {
            Response::Message(text) => {
                self.greeting = Some(text.clone());
                Ok(text)
            }
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected greeting"
            ),
        }
    }

    /// ## NOOP (RFC 1939 §5)
    pub async fn noop(&mut self) -> Result<()> {
        self.send_request(Noop).await?;

        Ok(())
    }

    /// ## UIDL (RFC 1939 §7)
    /// The unique-id listing of one message, or of every message when `msg_number` is `None`.
    /// Sent even when CAPA did not list UIDL: servers without CAPA exist (upstream bug 7).
    pub async fn uidl(&mut self, msg_number: Option<usize>) -> Result<UidlResponse> {
        let mut request: Request = Uidl.into();

        if let Some(number) = msg_number {
            self.check_deleted(&number)?;
            request.add_arg(number)
        }

        match self.send_request(request).await? {
            Response::Uidl(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected uidl response"
            ),
        }
    }

    /// ## TOP (RFC 1939 §7)
    /// The headers, the blank line and the first `lines` lines of the body, dot-unstuffed.
    pub async fn top(&mut self, msg_number: usize, lines: usize) -> Result<Bytes> {
        self.check_deleted(&msg_number)?;

        let request = Request::new(Top, &[msg_number, lines]);

        match self.send_request(request).await? {
            Response::Bytes(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected top response"
            ),
        }
    }

    /// Whether this session marked the message as deleted (it may still not exist).
    pub fn is_deleted(&self, msg_number: &usize) -> bool {
        self.marked_as_del.contains(msg_number)
    }

    fn check_deleted(&self, msg_number: &usize) -> Result<()> {
        if self.is_deleted(msg_number) {
            err!(
                ErrorKind::MessageIsDeleted,
                "This message has been marked as deleted and cannot be refenced anymore",
            )
        } else {
            Ok(())
        }
    }

    /// ## DELE (RFC 1939 §5)
    /// Marks the message as deleted; the server removes it only when QUIT enters the UPDATE
    /// state (RFC 1939 §6). The mark is remembered here (upstream bug 8 forgot it).
    pub async fn dele(&mut self, msg_number: usize) -> Result<Text> {
        self.check_deleted(&msg_number)?;

        let request = Request::new(Dele, &[msg_number]);

        match self.send_request(request).await? {
            Response::Message(resp) => {
                self.marked_as_del.insert(msg_number);
                Ok(resp)
            }
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected dele response"
            ),
        }
    }

    /// ## RSET (RFC 1939 §5): unmarks every message marked as deleted.
    pub async fn rset(&mut self) -> Result<Text> {
        match self.send_request(Rset).await? {
            Response::Message(resp) => {
                self.marked_as_del.clear();
                Ok(resp)
            }
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected rset response"
            ),
        }
    }

    /// ## RETR (RFC 1939 §5)
    /// The message exactly as the server holds it: dot-unstuffed, its final CRLF kept
    /// (upstream bug 3 returned it still stuffed and without the last CRLF).
    pub async fn retr(&mut self, msg_number: usize) -> Result<Bytes> {
        self.check_deleted(&msg_number)?;

        let request = Request::new(Retr, &[msg_number]);

        match self.send_request(request).await? {
            Response::Bytes(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected retr response"
            ),
        }
    }

    /// Whether the server offers PIPELINING (RFC 2449 §6.6): only then may a command be sent
    /// before the replies to earlier ones arrived.
    pub fn can_pipeline(&self) -> bool {
        self.has_capability([Capability::Pipelining])
    }

    /// ## RETR, pipelined (RFC 2449 §6.6)
    /// Sends a RETR for each of `msg_numbers` in one write, without waiting for replies; read
    /// the messages, oldest first, with [`Client::next_retr`]. May be called again while
    /// replies are due, to keep the server busy. Every other command is refused until all
    /// replies are read (they would be mistaken for one another), and a QUIT sent before
    /// that never happens, so nothing is deleted. Refused with
    /// [`ErrorKind::FeatureUnsupported`] unless CAPA listed PIPELINING. Keep the number due
    /// bounded: the server may stop reading commands while we are not reading its replies,
    /// and RFC 2449 §6.6 asks clients not to fill the TCP window.
    pub async fn send_retrs(&mut self, msg_numbers: &[usize]) -> Result<()> {
        if !self.can_pipeline() {
            err!(
                ErrorKind::FeatureUnsupported,
                "The server does not offer PIPELINING"
            );
        }
        if msg_numbers.is_empty() {
            return Ok(());
        }
        for number in msg_numbers {
            self.check_deleted(number)?;
        }
        let requests: Vec<Request> = msg_numbers
            .iter()
            .map(|number| Request::new(Retr, &[number]))
            .collect();
        let result = match self.inner_mut() {
            Ok(stream) => stream.encode_pipelined(&requests).await,
            Err(error) => Err(error),
        };
        self.settle(result)?;
        self.retrs_due.extend(msg_numbers);
        Ok(())
    }

    /// The message numbers of pipelined RETRs whose replies are still due, oldest first.
    pub fn retrs_due(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.retrs_due.iter().copied()
    }

    /// The reply to the oldest pipelined RETR (its number is the first of
    /// [`Client::retrs_due`]), exactly as [`Client::retr`] returns it. A `-ERR` answers that
    /// message only: the session stays usable and the later replies stay due.
    pub async fn next_retr(&mut self) -> Result<Bytes> {
        let Some(&number) = self.retrs_due.front() else {
            err!(
                ErrorKind::MissingRequest,
                "No pipelined RETR is waiting for its reply"
            );
        };
        let request = Request::new(Retr, &[number]);
        let result = match self.inner_mut() {
            Ok(stream) => stream.read_response(&request).await,
            Err(error) => Err(error),
        };
        let response = self.settle(result);
        // Answered, even if with -ERR; on any other error `settle` has emptied the queue.
        self.retrs_due.pop_front();
        match response? {
            Response::Bytes(message) => Ok(message),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected retr response"
            ),
        }
    }

    /// ## LIST (RFC 1939 §5)
    /// The scan listing of one message, or of every message when `msg_number` is `None`.
    pub async fn list(&mut self, msg_number: Option<usize>) -> Result<ListResponse> {
        let mut request: Request = List.into();

        if let Some(msg_number) = msg_number {
            self.check_deleted(&msg_number)?;
            request.add_arg(msg_number)
        }

        match self.send_request(request).await? {
            Response::List(list) => Ok(list.into()),
            Response::Stat(stat) => Ok(stat.into()),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected list response"
            ),
        }
    }

    /// ## STAT (RFC 1939 §5): message count and maildrop size in octets.
    pub async fn stat(&mut self) -> Result<Stat> {
        match self.send_request(Stat).await? {
            Response::Stat(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected stat response"
            ),
        }
    }

    /// The `<…>` timestamp of an APOP-capable greeting (RFC 1939 §7).
    pub fn apop_timestamp(&self) -> Option<String> {
        let greeting = self.greeting.as_ref()?;
        let text = String::from_utf8_lossy(greeting.as_ref());
        let start = text.find('<')?;
        let end = start + text[start..].find('>')?;
        let stamp = &text[start..=end];
        stamp.contains('@').then(|| stamp.to_owned())
    }

    /// ## APOP (RFC 1939 §7)
    /// `digest` is the hex MD5 of the greeting's timestamp followed by the shared secret.
    pub async fn apop<N: AsRef<str>, D: AsRef<str>>(&mut self, name: N, digest: D) -> Result<Text> {
        self.check_client_state(ClientState::Authentication)?;

        let request = Request::new(Apop, &[name.as_ref(), digest.as_ref()]);

        match self.send_request(request).await? {
            Response::Message(resp) => {
                self.state = ClientState::Transaction;
                Ok(resp)
            }
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected apop response"
            ),
        }
    }

    /// Whether CAPA listed `mechanism` after "SASL" (RFC 2449 §6.3).
    pub fn has_auth_mechanism<M: AsRef<[u8]>>(&self, mechanism: M) -> bool {
        self.capabilities.iter().any(|capa| match capa {
            Capability::Sasl(mechanisms) => mechanisms
                .iter()
                .any(|m| m.eq_ignore_ascii_case(mechanism.as_ref())),
            _ => false,
        })
    }

    /// ## AUTH (RFC 5034 §4)
    /// Runs one SASL exchange with `authenticator`. A `-ERR` leaves the session in the
    /// AUTHORIZATION state; nothing else is tried.
    #[cfg(feature = "sasl")]
    pub async fn auth<A: crate::sasl::Authenticator + Sync>(
        &mut self,
        authenticator: A,
    ) -> Result<Text> {
        self.check_client_state(ClientState::Authentication)?;
        self.check_no_replies_due()?;

        let mut request = Request::new(Auth, &[authenticator.mechanism()]);

        if let Some(initial) = authenticator.auth() {
            request.add_arg(crate::base64::encode(initial))
        }

        let result = self.auth_exchange(&request, &authenticator).await;
        let text = self.settle(result)?;
        self.state = ClientState::Transaction;
        Ok(text)
    }

    #[cfg(feature = "sasl")]
    async fn auth_exchange<A: crate::sasl::Authenticator + Sync>(
        &mut self,
        request: &Request,
        authenticator: &A,
    ) -> Result<Text> {
        let stream = self.inner_mut()?;
        stream.encode(request).await?;
        authenticator
            .handle(crate::sasl::Communicator::new(stream))
            .await?;
        match stream.read_response(request).await? {
            Response::Message(message) => Ok(message),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected auth response"
            ),
        }
    }

    /// ## Log in with the best method the server offers (RFC 2449 §6.3, RFC 5034, RFC 1939 §7):
    /// SASL PLAIN, then SASL CRAM-MD5 (RFC 2195), then SASL LOGIN, then USER/PASS (offered, or CAPA unknown), then APOP when
    /// the greeting carries a timestamp and plain USER/PASS is not offered.
    ///
    /// Exactly one attempt. Upstream retried with USER/PASS after a failed AUTH, so a wrong
    /// password counted twice against the account (bug 10). `-ERR` to USER stops before PASS.
    /// Returns the replies to USER and PASS (for AUTH and APOP: its reply, then an empty text).
    pub async fn login<U: AsRef<str>, P: AsRef<str>>(
        &mut self,
        user: U,
        password: P,
    ) -> Result<(Text, Text)> {
        self.check_client_state(ClientState::Authentication)?;

        #[cfg(feature = "sasl")]
        if self.has_auth_mechanism("PLAIN") {
            let plain = crate::sasl::PlainAuthenticator::new(user.as_ref(), password.as_ref());
            let text = self.auth(plain).await?;
            return Ok((text, Bytes::new().into()));
        }

        #[cfg(feature = "sasl")]
        if self.has_auth_mechanism("CRAM-MD5") {
            let cram = crate::sasl::CramMd5Authenticator::new(user.as_ref(), password.as_ref());
            let text = self.auth(cram).await?;
            return Ok((text, Bytes::new().into()));
        }

        #[cfg(feature = "sasl")]
        if self.has_auth_mechanism("LOGIN") {
            let login = crate::sasl::LoginAuthenticator::new(user.as_ref(), password.as_ref());
            let text = self.auth(login).await?;
            return Ok((text, Bytes::new().into()));
        }

        let user_offered = self.capabilities.is_empty() || self.has_capability([Capability::User]);
        if !user_offered {
            if let Some(timestamp) = self.apop_timestamp() {
                let digest = apop_digest(&timestamp, password.as_ref());
                let text = self.apop(user.as_ref(), digest).await?;
                return Ok((text, Bytes::new().into()));
            }
        }

        let user_response = self
            .send_request(Request::new(User, &[user.as_ref()]))
            .await?;
        let pass_response = self
            .send_request(Request::new(Pass, &[password.as_ref()]))
            .await?;

        self.state = ClientState::Transaction;

        match (user_response, pass_response) {
            (Response::Message(user), Response::Message(pass)) => Ok((user, pass)),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected login response"
            ),
        }
    }

    /// ## QUIT (RFC 1939 §6)
    /// In the TRANSACTION state this enters UPDATE: the server removes the messages marked as
    /// deleted. The connection is closed whatever the reply.
    pub async fn quit(&mut self) -> Result<Text> {
        let response = self.send_request(Quit).await;

        if let Some(mut stream) = self.inner.take() {
            stream.shutdown().await;
        }
        self.state = ClientState::None;
        self.marked_as_del.clear();
        self.capabilities.clear();
        self.retrs_due.clear();

        match response? {
            Response::Message(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected quit response"
            ),
        }
    }

    /// Check whether the server supports all of the given capabilities.
    pub fn has_capability<C: AsRef<[Capability]>>(&self, capabilities: C) -> bool {
        capabilities
            .as_ref()
            .iter()
            .all(|wanted| self.capabilities.contains(wanted))
    }

    /// Returns the current list of capabilities given by the server.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// ## CAPA (RFC 2449 §5): fetches the capability list.
    pub async fn capa(&mut self) -> Result<Capabilities> {
        match self.send_request(Capa).await? {
            Response::Capability(resp) => Ok(resp),
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected capa response"
            ),
        }
    }

    /// Re-reads the capability list. A `-ERR` (a server without CAPA) means an empty list;
    /// any other failure is returned.
    pub async fn refresh_capabilities(&mut self) -> Result<&Capabilities> {
        self.capabilities = match self.capa().await {
            Ok(capabilities) => capabilities,
            Err(error) if error.is_server_error() => Vec::new(),
            Err(error) => return Err(error),
        };
        Ok(&self.capabilities)
    }

    /// ## STLS (RFC 2595 §4)
    /// Asks the server to start TLS and, on `+OK`, gives back the raw connection and the
    /// greeting so the caller can run the handshake with any TLS library and continue with
    /// [`crate::after_stls`]. Fails if the server sent anything after its `+OK` — bytes that
    /// arrived before TLS must not be read as if they came after it (response injection).
    pub async fn stls(mut self) -> Result<(S, Text)> {
        self.check_client_state(ClientState::Authentication)?;

        match self.send_request(Command::Stls).await? {
            Response::Message(_) => {}
            _ => err!(
                ErrorKind::UnexpectedResponse,
                "Did not received the expected stls response"
            ),
        }
        let greeting = self.greeting.take().unwrap_or_else(|| Bytes::new().into());
        match self.inner.take() {
            Some(stream) => Ok((stream.into_inner()?, greeting)),
            None => err!(ErrorKind::NotConnected, "Not connected to any server"),
        }
    }
}

/// RFC 1939 §7: the lower-case hex MD5 of the greeting's timestamp followed by the secret.
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(format!("{timestamp}{secret}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
