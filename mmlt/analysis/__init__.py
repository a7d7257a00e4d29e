"""Analysis of data and runs for the practitioner's workflow: dataset
statistics, label-issue finding and run comparison. The logic lives here
(pure functions on arrays and files); ``tools/analysis_tools`` only parses
arguments and calls it. Import the submodules directly."""
