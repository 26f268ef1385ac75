"""The plain-text dialogue before a STARTTLS handshake: SMTP (RFC 3207), IMAP
(RFC 3501) and POP3 (RFC 2595), each up to the server's go-ahead."""

from __future__ import annotations

import asyncio

from e2echeck.kinds.sockets import excerpt

LINE_LIMIT = 8192


class StartTlsRefused(Exception):
    """The server said no, or something unexpected: the message says what."""


async def _line(reader: asyncio.StreamReader) -> bytes:
    line = await reader.readline()
    if not line:
        raise asyncio.IncompleteReadError(b"", None)
    return line


async def _smtp_reply(reader: asyncio.StreamReader) -> tuple[str, list[bytes]]:
    """An SMTP reply, multi-line ('250-...' then '250 ...'): its code and lines."""
    lines = [await _line(reader)]
    while len(lines[-1]) > 3 and lines[-1][3:4] == b"-" and len(lines) < 200:
        lines.append(await _line(reader))
    return lines[-1][:3].decode("ascii", errors="replace"), lines


async def _smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    code, lines = await _smtp_reply(reader)
    if code != "220":
        raise StartTlsRefused(f"SMTP greeting was not 220: {excerpt(b''.join(lines))!r}")
    writer.write(b"EHLO e2echeck.invalid\r\n")
    code, lines = await _smtp_reply(reader)
    if code != "250":
        raise StartTlsRefused(f"SMTP EHLO was refused: {excerpt(b''.join(lines))!r}")
    if not any(line[4:].strip().upper().startswith(b"STARTTLS") for line in lines):
        raise StartTlsRefused("the SMTP server does not offer STARTTLS (not in its EHLO reply)")
    writer.write(b"STARTTLS\r\n")
    code, lines = await _smtp_reply(reader)
    if code != "220":
        raise StartTlsRefused(f"SMTP STARTTLS was refused: {excerpt(b''.join(lines))!r}")


async def _imap(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    greeting = await _line(reader)
    if not greeting.upper().startswith(b"* OK"):
        raise StartTlsRefused(f"IMAP greeting was not OK: {excerpt(greeting)!r}")
    writer.write(b"a1 STARTTLS\r\n")
    for _ in range(200):
        line = await _line(reader)
        if line.startswith(b"a1 "):
            if not line[3:].upper().startswith(b"OK"):
                raise StartTlsRefused(f"IMAP STARTTLS was refused: {excerpt(line)!r}")
            return
    raise StartTlsRefused("the IMAP server never answered STARTTLS")


async def _pop3(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    greeting = await _line(reader)
    if not greeting.startswith(b"+OK"):
        raise StartTlsRefused(f"POP3 greeting was not +OK: {excerpt(greeting)!r}")
    writer.write(b"STLS\r\n")
    answer = await _line(reader)
    if not answer.startswith(b"+OK"):
        raise StartTlsRefused(f"POP3 STLS was refused: {excerpt(answer)!r}")


DIALOGUES = {"smtp": _smtp, "imap": _imap, "pop3": _pop3}


async def negotiate(
    protocol: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Talk `protocol` until the server agrees to start TLS; StartTlsRefused if not."""
    await DIALOGUES[protocol](reader, writer)
