// The README inside every export archive: what the files are and how to read them.
export const README = `# Your data

This archive holds everything this service keeps about you, as it was when the archive was made.

## Files

- \`manifest.json\`: the archive's schema version, when it was made, each category with its
  number of rows and file, and the size and SHA-256 of every other file in the archive. Check a
  file with \`sha256sum data/conversations.ndjson\` and compare.
- \`data/<category>.ndjson\`: one file per category of data (account, sessions, workspaces,
  conversations, traces, audit, ...). Each line is one JSON object:

      {"table": "messages", "workspaceId": "…", "row": { …the row's columns… }}

  \`workspaceId\` is null for what is yours alone rather than a workspace's (your account, your
  sessions). Content stored encrypted (message content, titles, span attributes, action logs) is
  decrypted: JSON stays JSON, text stays text, and other bytes are given as \`{"base64": "…"}\`.
  Times are ISO 8601 in UTC; other binary values are base64.

## What is left out, and why

- Secrets and hashes: your password hash, session tokens, API keys, provider credentials'
  secrets and token hashes. Their rows are here without them: you hold the secrets, we never show them.
- In a workspace shared with others, the rows that are the workspace's rather than yours: you get
  what you wrote or decided there, and the workspace keeps the rest.
- A value we can no longer open (sealed under a key that was erased) is null, and the row names
  the column in \`_unreadable\`.
`;
