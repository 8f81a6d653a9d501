"""Drawing through the relay's tasks (Midjourney's, the video APIs'): submitted once, followed, downloaded.

A job drawn this way has its task submitted and its id recorded in one step a stopping bot waits for, so a task the
relay accepted is always known: it is followed on (after a restart, or in another process) and never submitted
again. While the task draws, the job leaves its slot to others. What the task made is downloaded at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..api.client import Generation, ImageClient
from ..api.midjourney import Midjourney, Task, described, failure_of, shown
from ..api.tasks import TaskGone
from ..api.video import Videos, VideoTask
from ..api.video import failure_of as video_failure
from ..catalogue.entries import ModelInfo
from ..errors import BadUpstreamResponse, ImageGenError, Refused, UpstreamUnavailable
from ..imaging import images, workers
from ..imaging.images import ImageFile
from ..model import Job

log = logging.getLogger(__name__)

# A task's result that could not be downloaded is tried again after these many seconds.
DOWNLOAD_RETRY_DELAYS = (1.0, 5.0)
# The largest intermediate image of a task downloaded to show as a live preview.
PREVIEW_BYTES = 8 * 1024 * 1024


class Progress(Protocol):
    """What a task's progress is shown through (the job's delivery)."""

    async def preview(self, job: Job, image: str) -> None: ...

    async def progress(self, job: Job) -> None: ...


class RelayTasks:
    """Draws jobs whose model the relay makes as a task: Midjourney's, or a video API's."""

    def __init__(
        self,
        client: ImageClient,
        midjourney: Midjourney | None = None,
        videos: Videos | None = None,
        *,
        midjourney_timeout: float = 600.0,
        video_timeout: float = 900.0,
    ) -> None:
        self.client = client
        self.midjourney = midjourney
        self.videos = videos
        self.midjourney_timeout = midjourney_timeout
        self.video_timeout = video_timeout

    async def draw(
        self,
        job: Job,
        shown_to: Progress,
        info: ModelInfo,
        save: Callable[[Job], Awaitable[None]],
        park: Callable[[Job], None],
    ) -> Generation:
        """Submit the job's task (once; ``save`` records its id), follow it to its end and download what it made.
        A job that has a task already follows that one on; ``park`` gives the job's slot away while it draws."""
        if job.task_id is None:
            submitting = asyncio.ensure_future(self._submit(job, info, save))
            try:
                await asyncio.shield(submitting)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await submitting
                raise
            if job.task_ahead is not None:
                await shown_to.progress(job)
        else:
            log.info("job %d: following task %s on", job.id, job.task_id)
        park(job)
        try:
            if info.video:
                return await self._clip(job, shown_to, self._videos(), info, job.task_id or "")
            return await self._midjourney_result(job, shown_to, self._midjourney(), job.task_id or "")
        except (Refused, TaskGone):
            raise
        except ImageGenError:
            # The relay took the task and bills it whatever became of it: its price stays on the budget.
            job.images_made = max(job.images_made, 1)
            raise

    async def _submit(self, job: Job, info: ModelInfo, save: Callable[[Job], Awaitable[None]]) -> None:
        request = job.request
        if info.video:
            job.task_id = await self._videos().submit(request, info)
        else:
            tasks = self._midjourney()
            if request.action:
                submitted = await tasks.act(request)
            elif request.tool == "blend":
                submitted = await tasks.blend(request)
            elif request.tool == "describe":
                submitted = await tasks.describe(request)
            elif request.tool == "animate":
                submitted = await tasks.animate(request)
            else:
                submitted = await tasks.imagine(request, info)
            job.task_id, job.task_ahead = submitted.task_id, submitted.ahead
        await save(job)
        log.info("job %d: task %s submitted", job.id, job.task_id)

    async def _clip(self, job: Job, shown_to: Progress, videos: Videos, info: ModelInfo, task_id: str) -> Generation:
        async def moved_on(task: VideoTask) -> None:
            job.task_progress = task.progress
            await shown_to.progress(job)

        task = await videos.follow(task_id, info, moved_on, self.video_timeout)
        if task.status != "done":
            raise video_failure(task, job.request.prompt)
        made = await _downloaded(lambda: videos.content(task, info))
        if made is None or made.extension != "mp4":
            raise BadUpstreamResponse(f"video task {task.id}: its clip could not be downloaded")
        return Generation([made], asked=1)

    async def _midjourney_result(self, job: Job, shown_to: Progress, tasks: Midjourney, task_id: str) -> Generation:
        previewed = {""}

        async def moved_on(task: Task) -> None:
            if task.status == "IN_PROGRESS":
                job.task_ahead = None
            job.task_progress = task.progress
            # The grid as far as it is drawn, where live previews are on (Midjourney does not bill them).
            if self.client.settings.preview_images and task.status == "IN_PROGRESS" and task.image_url not in previewed:
                previewed.add(task.image_url)
                drawn = await self.client.download(task.image_url, PREVIEW_BYTES)
                if drawn is not None:
                    await shown_to.preview(job, base64.b64encode(drawn).decode())
            await shown_to.progress(job)

        task = await tasks.follow(task_id, moved_on, self.midjourney_timeout)
        if task.status == "MODAL":
            # Midjourney asks for a prompt (Remix mode at the relay's account): the job's own, once.
            await tasks.answer_form(task.id, job.request)
            task = await tasks.follow(task_id, moved_on, self.midjourney_timeout)
        if task.status != "SUCCESS":
            raise failure_of(task, job.request.prompt)
        if job.request.tool == "describe":
            prompts = described(str(task.properties.get("finalPrompt") or task.prompt))
            if not prompts:
                raise BadUpstreamResponse(f"Midjourney describe task {task.id} holds no prompts")
            return Generation([], asked=1, prompts=prompts)
        job.task_buttons = tuple(button for button in task.buttons if shown(button))
        # An Animate task's result is its video; any other's, its image.
        url = task.video_urls[0] if task.video_urls else task.image_url
        made = await _downloaded(lambda: self.client.download(url, self.client.settings.max_download_bytes))
        if made is None:
            raise BadUpstreamResponse(f"Midjourney task {task.id}: its result could not be downloaded")
        return Generation([made], asked=1)

    def _videos(self) -> Videos:
        if self.videos is None:
            raise UpstreamUnavailable("this process has no video API")
        return self.videos

    def _midjourney(self) -> Midjourney:
        if self.midjourney is None:
            raise UpstreamUnavailable("this process has no Midjourney API")
        return self.midjourney


async def _downloaded(download: Callable[[], Awaitable[bytes | None]]) -> ImageFile | None:
    """What a finished task made (an image or a clip), downloaded; links may fail for a moment, so a failed
    download is tried again before it is given up."""
    for delay in (*DOWNLOAD_RETRY_DELAYS, None):
        data = await download()
        made = await workers.run(images.media, data) if data is not None else None
        if made is not None:
            return made
        if delay is not None:
            await asyncio.sleep(delay)
    return None
