"""The report kernel's own log: quiet about the one thing that is by design, loud about the rest.

papermill starts a Jupyter kernel per report on the reference path (render.notebook.render_one, which the tests
compare the warm workers' pages with). ipykernel then warns on stderr that it "is running over TCP without
encryption": true, and harmless here (the kernel
listens on localhost, for this toolkit's own process, which holds the connection file's key), but it reads as an
alarm to an analyst. KERNEL_ARGUMENTS, given to each kernel the toolkit starts, drop that one message through a
logging filter; every other warning and error of the kernel still reaches stderr. The kernelspec itself is left
as it is, so a kernel opened in JupyterLab logs as Jupyter always does.
"""

from __future__ import annotations

import json
import logging

#: The words of ipykernel's warning (ipykernel.kernelapp.IPKernelApp.init_sockets) that are filtered out.
TCP_WARNING = "Kernel is running over TCP without encryption"


class QuietAboutLocalTcp(logging.Filter):
    """Drops ipykernel's warning that it runs over TCP without encryption; lets every other record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return TCP_WARNING not in record.getMessage()


#: Merged by traitlets into the kernel application's logging configuration (its handler is named "console").
LOGGING = {"filters": {"quiet_tcp": {"()": f"{__name__}.{QuietAboutLocalTcp.__name__}"}},
           "handlers": {"console": {"filters": ["quiet_tcp"]}}}

#: Extra command-line arguments of every kernel the toolkit starts (nbclient's extra_arguments).
KERNEL_ARGUMENTS = [f"--IPKernelApp.logging_config={json.dumps(LOGGING)}"]
