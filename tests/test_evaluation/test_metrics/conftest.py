"""The metric tests' shared fixture: a logger that records messages."""
import pytest
from mmengine.logging import MMLogger


class RecordingLogger:
    """Stands in for MMLogger.get_current_instance() to record messages."""

    def __init__(self):
        self.infos, self.warnings = [], []

    def info(self, msg):
        self.infos.append(msg)

    def warning(self, msg):
        self.warnings.append(msg)

    def log(self, level, msg):
        self.infos.append(msg)


@pytest.fixture
def logger(monkeypatch):
    rec = RecordingLogger()
    monkeypatch.setattr(MMLogger, 'get_current_instance',
                        classmethod(lambda cls: rec))
    return rec
