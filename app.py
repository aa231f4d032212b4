#!/usr/bin/env python3
"""CDK app entry: `python app.py` (or `make synth`, or the CDK CLI) synthesizes to cdk.out/.

Makes no AWS calls: the stack is environment-agnostic and all settings come from context: cdk.json,
then the uncommitted cdk.context.local.json (contacts), then `-c key=value`.
Exits non-zero when synthesis annotated errors (such as an unsuppressed cdk-nag finding), like `cdk synth`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from infrastructure.application import LOCAL_CONTEXT_FILE, build_app, synthesis_problems
from infrastructure.settings import SettingsError

# The CDK CLI passes its output directory in CDK_OUTDIR; run directly, we write next to this file.
DEFAULT_OUTDIR = Path(__file__).resolve().parent / "cdk.out"


def main() -> int:
    outdir = None if os.environ.get("CDK_OUTDIR") else str(DEFAULT_OUTDIR)
    try:
        built = build_app(outdir=outdir, local_context_file=LOCAL_CONTEXT_FILE)
    except SettingsError as error:
        # A context value that cannot be deployed: say which, without a jsii traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2
    assembly = built.app.synth()
    errors, warnings = synthesis_problems(assembly)
    for label, messages in (("warning", warnings), ("error", errors)):
        for message in messages:
            print(f"[{label}] {message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
