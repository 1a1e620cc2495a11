// The app package sits at the workspace root (DESIGN.md §7), so capabilities are found by path.
// Listing our commands in an app manifest makes each one need a permission, which the main
// window's capability grants: nothing the UI does not call is callable.
const COMMANDS: &[&str] = &[
    "get_app_state",
    "set_language",
    "save_account",
    "test_connection",
    "discover_account",
    "parse_certificate",
    "send_message",
    "fetch_mail",
    "cancel_fetch",
    "list_messages",
    "get_message",
    "get_raw_message",
    "download_whole_message",
    "delete_message",
    "get_outbox",
    "send_outbox_now",
    "undo_send",
    "edit_queued",
    "send_later",
    "set_undo_send_seconds",
    "respond_to_message",
    "save_draft",
    "get_drafts",
    "open_draft",
    "delete_draft",
    "suggest_addresses",
    "attach_files",
    "choose_attachments",
    "submission_size_limit",
    "get_folders",
    "create_folder",
    "rename_folder",
    "delete_folder",
    "move_messages",
    "copy_messages",
    "delete_messages",
    "empty_trash",
    "set_flags",
    "folder_counts",
    "list_threads",
    "get_conversation",
    "set_view_settings",
    "set_remote_content_allowed",
    "open_link",
    "report_ready",
    "get_message_with_remote",
    "save_attachment",
    "open_attachment",
    "search_messages",
    "set_desktop_settings",
    "set_viewing",
    "close_main_window",
    "take_launch_request",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(
            tauri_build::AppManifest::new()
                .commands(COMMANDS)
                .permissions_path_pattern("./src-tauri/permissions/**/*"),
        );
    println!("cargo::rerun-if-changed=src-tauri/permissions");
    if let Err(error) = tauri_build::try_build(attributes) {
        println!("cargo::error={error:#}");
    }
}
