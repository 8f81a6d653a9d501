"""The floor for CPU per job: only what any bot must do with an answer, base64-decoding its images and uploading
them to Discord, timed as the bot is (this process's CPU seconds).

Usage: python bench/floor.py ANSWER_FILE UPLOAD_URL JOBS; prints the CPU seconds per job.
"""

from __future__ import annotations

import asyncio
import base64
import json
import resource
import sys
from pathlib import Path

import aiohttp


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(body: bytes, url: str, jobs: int) -> None:
    async with aiohttp.ClientSession() as session:
        started = cpu()
        for _ in range(jobs):
            images = [base64.b64decode(item["b64_json"]) for item in json.loads(body)["data"]]
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps({"content": "floor"}), content_type="application/json")
            for index, image in enumerate(images):
                form.add_field(f"files[{index}]", image, filename=f"image_{index}.png", content_type="image/png")
            async with session.post(url, data=form) as response:
                await response.read()
        print(json.dumps({"cpu_s_per_job": (cpu() - started) / jobs}))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).read_bytes(), sys.argv[2], int(sys.argv[3])))
