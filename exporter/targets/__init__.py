"""Where artifacts are deployed: the web demo and its static server, the mobile (ORT) files, the edge worker; the web files the wheel carries."""
