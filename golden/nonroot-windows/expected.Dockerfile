# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    New-Item -ItemType Directory C:\app
COPY app.exe C:\app\
USER ContainerUser
ENTRYPOINT ["C:\\app\\app.exe"]
