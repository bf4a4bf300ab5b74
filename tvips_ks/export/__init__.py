"""Handing a series to the next tool: conversion to other formats (:mod:`.convert`) and
quick-look images (:mod:`.preview`)."""
