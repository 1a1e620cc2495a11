// Search results mark matched words between U+E000 and U+E001 (private-use characters no mail
// text carries meaningfully). Split into pieces the view renders as text, never as HTML.

export type Piece = { text: string; marked: boolean };

const START = "\u{E000}";
const END = "\u{E001}";

export function highlightPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let marked = false;
  let current = "";
  for (const char of text) {
    if (char === START || char === END) {
      if (current !== "") pieces.push({ text: current, marked });
      current = "";
      marked = char === START;
    } else {
      current += char;
    }
  }
  if (current !== "") pieces.push({ text: current, marked });
  return pieces;
}
