"""``hallsync sms …``: the fake SMS gateway the tests and the demo send through."""
from __future__ import annotations

import signal

import click

from hallsync.sms_fake_gateway import FakeGateway, Faults, serve


@click.group()
def sms():
    """SMS tools."""


@sms.command("fake-gateway")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=click.IntRange(0, 65535),
              help="0 (default): any free port; the first line printed names it.")
@click.option("--faults", default="", help="timeout=R,error=R,lost_receipt=R,"
              "duplicate_receipt=R (rates 0..1), delay_s=S (how late a timed-out answer comes).")
@click.option("--seed", default=0, type=int, help="Seed of the fault rolls.")
@click.option("--access-key-id", default="hallsync", show_default=True)
@click.option("--access-key-secret", required=True, envvar="HALLSYNC_SMS_ACCESS_KEY_SECRET",
              help="The account's secret (or HALLSYNC_SMS_ACCESS_KEY_SECRET).")
@click.option("--sign-name", "sign_names", multiple=True, default=["沈阳政务服务"],
              show_default=True, help="An approved signature (签名); repeat for more.")
@click.option("--receipt-url", default="",
              help="Where delivery reports are POSTed (the hub's /sms/v1/receipts).")
def fake_gateway(host, port, faults, seed, access_key_id, access_key_secret, sign_names,
                 receipt_url):
    """Serve a fake SMS provider until SIGINT or SIGTERM (GET /_fake/state: what it sent)."""
    gateway = FakeGateway(access_key_id, access_key_secret, set(sign_names), receipt_url,
                          Faults.parse(faults), seed)
    server = serve(gateway, host, port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    click.echo(f"fake SMS gateway listening on http://{host}:{server.server_address[1]}",
               nl=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stopping.set()
        server.server_close()
