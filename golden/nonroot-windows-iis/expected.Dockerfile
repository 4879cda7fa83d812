FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command Install-WindowsFeature Web-Server
ENTRYPOINT ["C:\\ServiceMonitor.exe", "w3svc"]
