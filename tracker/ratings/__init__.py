"""Citizen ratings (政务服务"好差评"), bad reviews and complaints."""
