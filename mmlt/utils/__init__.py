from .checkpoint_files import (CorruptCheckpointError, ResumeCheckpoint,
                               checkpoint_problem, find_resume_checkpoint,
                               write_checkpoint_atomic)
from .checkpoint_trust import (TRUSTED_DIRS_ENV, UntrustedCheckpointError,
                               is_trusted_checkpoint, load_checkpoint_file,
                               safe_checkpoint_globals,
                               trusted_checkpoint_dirs)
from .compat import apply_compat_patches

__all__ = [
    'apply_compat_patches', 'TRUSTED_DIRS_ENV', 'UntrustedCheckpointError',
    'is_trusted_checkpoint', 'load_checkpoint_file', 'safe_checkpoint_globals',
    'trusted_checkpoint_dirs', 'CorruptCheckpointError', 'ResumeCheckpoint',
    'checkpoint_problem', 'find_resume_checkpoint', 'write_checkpoint_atomic'
]
