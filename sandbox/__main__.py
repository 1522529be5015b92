"""Run the Bandwidth sandbox for local development.

    python -m sandbox call --url URL [--status-url URL] [--from +1...] [--to +1...]
                           [--digits 1234# 1] [--speech FILE.wav] [--record FILE]
                           [--application-id ...]
                      [--unverified] [--verstat V] [--attestation A|B|C]
    python -m sandbox [--host 127.0.0.1] [--port 8090] [--account-id 9900000]
                      [--application-id ...] [--application-name ...]
                      [--add-application ID=NAME ...]
                      [--client-id ...] [--client-secret ...]
                      [--username ...] [--password ...] [--time-scale 1.0]
                      [--token-expires-in 3600] [--allow-insecure-callbacks]

Point Home Assistant's Bandwidth integration (advanced mode, API URL) at
http://HOST:PORT and use the printed credentials. What the callee does
depends on the number called:

    ...0001  voicemail: an answering machine picks up, presses nothing
    ...0002  no answer: rings until callTimeout, disconnect cause "timeout"
    ...0003  busy: disconnect cause "busy"
    other    a human answers and presses "1" at every <Gather>

`python -m sandbox call` rings the application through a running sandbox, as a
person calling your Bandwidth number; give it the URL the integration's
options show for calls received (as --url, and as --status-url to hear of the
call's end). It then prints what happens to the call until it ends; Ctrl+C
hangs up.

Every request, callback, spoken sentence and played audio file is logged to
stdout (with a warning for audio that cannot be played).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from .applications import Application
from .server import (
    ACCOUNT_ID,
    APPLICATION_ID,
    APPLICATION_NAME,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    Sandbox,
)


def call(argv: list[str]) -> None:
    """Ring the application from a number, through a running sandbox."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox call",
        description="Call your Bandwidth number, as a person would.",
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the Voice application's call-initiated callback URL "
        "(shown in the integration's options)",
    )
    parser.add_argument("--from", dest="from_", default="+15555550199")
    parser.add_argument("--to", default="+15555550100", help="your Bandwidth number")
    parser.add_argument(
        "--unverified",
        action="store_true",
        help="STIR/SHAKEN fails to verify the caller ID (it passes by default)",
    )
    parser.add_argument(
        "--verstat",
        help="STIR/SHAKEN's verdict as Bandwidth sends it: TN-Validation-Passed "
        "(the default), TN-Validation-Failed or No-TN-Validation",
    )
    parser.add_argument(
        "--attestation",
        choices=["A", "B", "C"],
        help="the attestation level (A by default; C with --unverified)",
    )
    parser.add_argument(
        "--digits",
        nargs="*",
        default=[],
        help="what the caller presses at each prompt, in turn (e.g. 1234# 1)",
    )
    parser.add_argument(
        "--status-url",
        help="the call status callback URL, told when the call ends "
        "(the same URL as --url for the integration)",
    )
    parser.add_argument(
        "--application-id",
        help="the application your number belongs to (the sandbox's first "
        "application by default)",
    )
    parser.add_argument(
        "--speech",
        help="a WAV file (8 kHz mono, µ-law or 16-bit) the caller says once the "
        "call streams to Home Assistant's Assist",
    )
    parser.add_argument(
        "--record",
        help="a WAV or MP3 file: the message the caller leaves when voicemail answers",
    )
    parser.add_argument("--sandbox", default="http://127.0.0.1:8090")
    args = parser.parse_args(argv)
    body = {
        "url": args.url,
        "from": args.from_,
        "to": args.to,
        "verstat": args.verstat
        or ("TN-Validation-Failed" if args.unverified else "TN-Validation-Passed"),
        "attestation": args.attestation or ("C" if args.unverified else "A"),
        "digits": args.digits,
    }
    if args.speech:
        body["speech"] = str(Path(args.speech).resolve())
    if args.record:
        body["message"] = str(Path(args.record).resolve())
    if args.status_url:
        body["statusUrl"] = args.status_url
    if args.application_id:
        body["applicationId"] = args.application_id

    async def post() -> str | None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{args.sandbox}/sandbox/inbound", json=body) as response,
        ):
            if response.status != 201:  # noqa: PLR2004
                print(response.status, await response.text())
                return None
            call_id: str = (await response.json())["callId"]
            print(f"Call {call_id} is ringing (Ctrl+C hangs up)")
            return call_id

    if (call_id := asyncio.run(post())) is None:
        return
    url = f"{args.sandbox}/sandbox/calls/{call_id}"
    try:
        asyncio.run(_follow(url))
    except KeyboardInterrupt:
        print("Hanging up")
        asyncio.run(_hang_up(url))
        asyncio.run(_follow(url, quiet=True))


async def _hang_up(url: str) -> None:
    """Hang up a call, as its caller."""
    async with aiohttp.ClientSession() as session, session.post(f"{url}/hangup"):
        pass


async def _follow(url: str, *, quiet: bool = False) -> None:
    """Print what happens to a call (its callbacks, what it hears) until it ends."""
    seen = {"callbacks": 0, "spoken": 0, "played": 0, "gathered": 0}
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(url) as response:
                call = await response.json()
            for key, label in (
                ("callbacks", "callback"),
                ("spoken", "heard"),
                ("played", "heard audio"),
                ("gathered", "pressed"),
            ):
                for item in call[key][seen[key] :]:
                    if quiet:
                        continue
                    if key == "callbacks":
                        status = item["status"] or "no answer"
                        print(f"  {label}: {item['eventType']} -> {status}")
                    else:
                        print(f"  {label}: {item}")
                seen[key] = len(call[key])
            if call["state"] == "disconnected":
                cause = call.get("disconnectCause")
                error = call.get("errorMessage")
                print(f"Call ended: {cause}" + (f" ({error})" if error else ""))
                return
            await asyncio.sleep(0.5)


def _folder(path: Path | None) -> Path | None:
    """Make a folder if one is named; return it."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, print the credentials and serve until interrupted."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["call"]:
        call(argv[1:])
        return
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--account-id", default=ACCOUNT_ID)
    parser.add_argument("--application-id", default=APPLICATION_ID)
    parser.add_argument("--application-name", default=APPLICATION_NAME)
    parser.add_argument(
        "--add-application",
        action="append",
        default=[],
        metavar="ID=NAME",
        help="another Voice application of the account (repeatable)",
    )
    parser.add_argument("--client-id", default=CLIENT_ID)
    parser.add_argument("--client-secret", default=CLIENT_SECRET)
    parser.add_argument("--username", default=USERNAME)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies ring/Pause durations"
    )
    parser.add_argument("--token-expires-in", type=int, default=3600)
    parser.add_argument(
        "--recordings",
        type=Path,
        help="a folder where each media stream's answer, as the caller heard it, "
        "is saved as <call id>-<stream name>.wav",
    )
    parser.add_argument(
        "--allow-insecure-callbacks",
        action="store_true",
        help="accept http:// callback URLs together with callback credentials",
    )
    args = parser.parse_args(argv)

    sandbox = Sandbox(
        account_id=args.account_id,
        application_id=args.application_id,
        application_name=args.application_name,
        client_id=args.client_id,
        client_secret=args.client_secret,
        username=args.username,
        password=args.password,
        lifecycle=True,
        time_scale=args.time_scale,
        number_conventions=True,
    )
    for spec in args.add_application:
        application_id, _, name = spec.partition("=")
        sandbox.application_ids.add(application_id)
        sandbox.applications[application_id] = Application(
            application_id, name or application_id
        )
    sandbox.token_expires_in = args.token_expires_in
    sandbox.allow_insecure_callbacks = args.allow_insecure_callbacks
    sandbox.stream_recordings = _folder(args.recordings)
    sandbox.url = f"http://{args.host}:{args.port}"

    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    print(f"Bandwidth sandbox on {sandbox.url}")
    print(f"  API URL (advanced mode)  {sandbox.url}")
    print(f"  Account ID               {args.account_id}")
    print(f"  Application ID           {args.application_id}")
    print(f"  Application name         {args.application_name}")
    for application_id, application in sandbox.applications.items():
        if application_id != args.application_id:
            print(f"  Another application      {application_id} ({application.name})")
    print(f"  OAuth client ID          {args.client_id}")
    print(f"  OAuth client secret      {args.client_secret}")
    print(f"  API username (legacy)    {args.username}")
    print(f"  API password (legacy)    {args.password}")
    print("Numbers called: ...0001 voicemail, ...0002 no answer, ...0003 busy,")
    print('  anything else: a human who presses "1" when asked.')
    print(
        "Calls to your number: python -m sandbox call --url <the options' URL> "
        "--status-url <the same URL>"
    )

    async def stop(_app: web.Application) -> None:
        await sandbox.close()

    app = sandbox.app
    app.on_shutdown.append(stop)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
