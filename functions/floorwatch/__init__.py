"""floorwatch domain package: pure logic shared by Lambda, the local runtime and the CLI.

Nothing here reads environment variables or builds AWS clients at import time.
"""
