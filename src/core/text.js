// A migration's text as the server and the parser receive it. Pure.
/**
 * The text without a leading byte-order mark: PostgreSQL rejects one, and positions
 * (error lines and columns, findings) are counted without it. Line endings are kept.
 */
export function stripBom(text) {
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
