"""Fill a workbook in LibreOffice the way a person would, through the UNO bridge.

Run by the system Python that has LibreOffice's ``uno`` module (Debian:
python3-uno), not by the project's Python:

    python3 fill_with_libreoffice.py JOB.json

JOB.json: {"source": ..., "target": ..., "profile": DIR, "steps": [...]}, each
step one of
    {"insert_rows_above": "B15", "count": 1}   select the cell, Insert > Rows Above
    {"text": "B15", "value": "任务4"}           type text into a cell
    {"number": "D15", "value": 12.5}           type a number into a cell
Then LibreOffice recalculates and saves the target as .xlsx.
"""

import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import DisposedException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 60
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(job_path):
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    pipe = f"xlsxform{os.getpid()}"
    office = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{job['profile']}", "--headless", "--invisible", "--norestore", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctx = connect(pipe)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(job["source"])), "_blank", 0, (prop("Hidden", True),))
        sheet = doc.Sheets.getByIndex(0)
        controller = doc.getCurrentController()
        dispatcher = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        for step in job["steps"]:
            if "insert_rows_above" in step:
                controller.select(sheet.getCellRangeByName(step["insert_rows_above"]))
                for _ in range(step.get("count", 1)):
                    dispatcher.executeDispatch(controller.getFrame(), ".uno:InsertRowsBefore", "", 0, ())
            elif "text" in step:
                sheet.getCellRangeByName(step["text"]).setString(step["value"])
            elif "number" in step:
                sheet.getCellRangeByName(step["number"]).setValue(step["value"])
        doc.calculateAll()
        target = uno.systemPathToFileUrl(os.path.abspath(job["target"]))
        doc.storeToURL(target, (prop("FilterName", "Calc MS Excel 2007 XML"),))
        try:
            # Ends LibreOffice; the bridge goes down with it, which is expected.
            desktop.terminate()
        except DisposedException:
            pass
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


if __name__ == "__main__":
    main(sys.argv[1])
