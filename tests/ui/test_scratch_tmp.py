from tests.ui.conftest import ALL, run, settle, steady_queue


def test_explore(make_hub):
    hub = make_hub(*ALL)
    app = hub.app()

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await steady_queue(pilot)
            print(type(app.screen).__name__, hub.ids)
            await pilot.press("n")
            await settle(pilot)
            s = app.screen
            print(type(s).__name__, s.step, [f.id for f in s.open_flags])
            print(s.query_one("#guidance-body").render())
            await pilot.press("e")
            await settle(pilot)
            print(type(app.screen).__name__)
            print(app.export_screenshot()[:100])

    run(body())
