// The srcdoc for a sanitised HTML body. The iframe that shows it has
// sandbox="allow-popups" (no scripts, opaque origin; a clicked link asks to open a window,
// which the app turns into a question to the user); this policy additionally blocks every
// load except inline styles and data: images, so remote content stays blocked
// even if the sanitiser let a URL through. It must come first in the document.
export const MAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** After "Load remote content": images may come from the web too; still nothing else. */
export const MAIL_CSP_REMOTE_IMAGES = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:";

const baseStyle =
  "<style>html{color-scheme:light}body{margin:0;padding:16px 20px;font-family:system-ui,'Noto Sans','Noto Sans Devanagari',sans-serif;" +
  "font-size:15px;line-height:1.5;color:#1c222b;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}" +
  "pre{white-space:pre-wrap}table{max-width:100%}</style>";

export function mailSrcdoc(sanitizedHtml: string, remoteImages = false): string {
  const policy = remoteImages ? MAIL_CSP_REMOTE_IMAGES : MAIL_CSP;
  return (
    `<meta http-equiv="Content-Security-Policy" content="${policy}">` +
    // Links cannot navigate this frame: they ask for a new window, which the app never opens.
    `<base target="_blank">` +
    baseStyle +
    sanitizedHtml
  );
}
