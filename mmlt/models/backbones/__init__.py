from .resnet32_cifar import ResNetCIFARLT, ZeroPadShortcut

__all__ = ['ResNetCIFARLT', 'ZeroPadShortcut']
