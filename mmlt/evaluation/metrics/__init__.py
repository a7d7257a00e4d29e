from .long_tail_metric import LongTailMetric

__all__ = ['LongTailMetric']
