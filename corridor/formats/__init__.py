"""One date and time format per language (settings.FORMAT_MODULE_PATH): 24-hour times, day
before month, the same words on every page; Django's own formats fill in anything not named."""
