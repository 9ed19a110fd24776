import * as vscode from "vscode";
import type { Middleware } from "vscode-languageclient/node";

/**
 * One generation for both requests at a cursor.
 *
 * Typing a trigger character such as "." makes VS Code ask for inline completions and for the completion list at
 * the same position, and opening the list asks for inline completions again (with `selectedCompletionInfo`). The
 * server runs one generation at a time and the newest request cancels the running one, so the two requests would
 * cancel each other and the list would say "No suggestions". This middleware lets a request that finds the other
 * kind in flight (or just answered) for the same document version and position reuse its candidates instead of
 * asking the server again, and asks for no inline completions while the list is open.
 */

type InlineResult = vscode.InlineCompletionItem[] | vscode.InlineCompletionList | null | undefined;
type ListResult = vscode.CompletionItem[] | vscode.CompletionList | null | undefined;

/** A candidate as text inserted at the cursor. */
interface Candidate {
  text: string;
}

interface Entry {
  key: string;
  at: number;
  candidates: Promise<Candidate[] | undefined>;
}

const KEEP_MS = 15000;
const IDENT = /[\p{L}\p{N}_$]/u;

function keyOf(document: vscode.TextDocument, position: vscode.Position): string {
  return `${document.uri.toString()}@${document.version}:${position.line}:${position.character}`;
}

/** The identifier part just before the cursor (what the list filters by). */
function partialWord(document: vscode.TextDocument, position: vscode.Position): vscode.Range {
  const line = document.lineAt(position.line).text;
  let start = position.character;
  while (start > 0 && IDENT.test(line[start - 1] ?? "")) {
    start--;
  }
  return new vscode.Range(position.line, start, position.line, position.character);
}

function textOf(value: string | vscode.SnippetString | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  return typeof value === "string" ? value : value.value;
}

function fromInline(result: InlineResult): Candidate[] {
  if (!result) {
    return [];
  }
  const items = Array.isArray(result) ? result : result.items;
  return items.flatMap((item) => {
    const text = textOf(item.insertText);
    return text ? [{ text }] : [];
  });
}

function fromList(
  result: ListResult,
  document: vscode.TextDocument,
  position: vscode.Position,
): Candidate[] {
  if (!result) {
    return [];
  }
  const items = Array.isArray(result) ? result : result.items;
  const typed = document.getText(partialWord(document, position));
  return items.flatMap((item) => {
    // vscode-languageclient turns an LSP textEdit into insertText + range.
    let text = textOf(item.insertText) ?? (typeof item.label === "string" ? item.label : item.label.label);
    if (typed && text.startsWith(typed)) {
      text = text.slice(typed.length);
    }
    return text ? [{ text }] : [];
  });
}

function toInline(candidates: Candidate[], position: vscode.Position): vscode.InlineCompletionItem[] {
  return candidates.map((c) => new vscode.InlineCompletionItem(c.text, new vscode.Range(position, position)));
}

function toList(
  candidates: Candidate[],
  document: vscode.TextDocument,
  position: vscode.Position,
): vscode.CompletionList {
  const range = partialWord(document, position);
  const typed = document.getText(range);
  const items = candidates.map((c, rank) => {
    const text = typed + c.text;
    const firstLine = text.split("\n")[0] ?? text;
    const item = new vscode.CompletionItem(
      firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine,
      vscode.CompletionItemKind.Snippet,
    );
    item.insertText = text;
    item.range = range;
    item.filterText = firstLine;
    item.sortText = String(rank).padStart(4, "0");
    item.preselect = rank === 0;
    item.detail = "Compilot";
    item.documentation = new vscode.MarkdownString().appendCodeblock(text, "java");
    return item;
  });
  return new vscode.CompletionList(items, true);
}

export class SharedRequests {
  private inline: Entry | undefined;
  private list: Entry | undefined;

  private fresh(entry: Entry | undefined, key: string): Entry | undefined {
    return entry && entry.key === key && Date.now() - entry.at < KEEP_MS ? entry : undefined;
  }

  readonly middleware: Middleware = {
    provideInlineCompletionItems: async (document, position, context, token, next) => {
      if (context.selectedCompletionInfo) {
        return null; // the list is open: its candidates are the same
      }
      const key = keyOf(document, position);
      const other = this.fresh(this.list, key);
      if (other) {
        const candidates = await other.candidates;
        if (candidates?.length || token.isCancellationRequested) {
          return candidates ? toInline(candidates, position) : null;
        }
      }
      const pending = Promise.resolve(next(document, position, context, token));
      const entry: Entry = {
        key,
        at: Date.now(),
        candidates: pending.then(fromInline, () => undefined),
      };
      this.inline = entry;
      return pending;
    },
    provideCompletionItem: async (document, position, context, token, next) => {
      const key = keyOf(document, position);
      const other = this.fresh(this.inline, key);
      if (other) {
        const candidates = await other.candidates;
        if (candidates?.length || token.isCancellationRequested) {
          return candidates ? toList(candidates, document, position) : null;
        }
      }
      const pending = Promise.resolve(next(document, position, context, token));
      this.list = {
        key,
        at: Date.now(),
        candidates: pending.then((r) => fromList(r, document, position), () => undefined),
      };
      return pending;
    },
  };
}
