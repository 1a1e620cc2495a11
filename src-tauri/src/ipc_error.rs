//! The error shape every command rejects with: `{ kind, reason, message }` (the engine's
//! `ErrorInfo`). The UI picks its English or Hindi sentence from `kind` and `reason`.

pub type IpcError = dakiya_engine::ErrorInfo;

/// Commands return `Result<T, IpcError>`; this turns engine errors into that shape.
pub fn ipc(error: dakiya_engine::Error) -> IpcError {
    tracing::warn!(kind = ?error.kind(), "command failed: {}", error.chain());
    IpcError::from(&error)
}
